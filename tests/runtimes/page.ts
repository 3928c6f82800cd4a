// The cross-runtime cases in a web page: runs them and publishes what they
// gave as `globalThis.outcomes` (checked by `chromium.ts`, outside the
// browser) and on the page as text.
import { CASES, observe } from "./cases.ts";

const outcomes = observe(CASES);
const body = (globalThis as unknown as {
  document: { body: { textContent: string } };
}).document.body;
body.textContent = outcomes.map((o) =>
  `${o.threw ? "threw" : "ran"}  ${o.name}${o.threw ? `: ${o.threw}` : ""}`
).join("\n");
Object.assign(globalThis, { outcomes });
