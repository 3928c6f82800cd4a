/**
 * The cross-runtime cases in headless Chromium:
 * `deno run -A tests/runtimes/chromium.ts`. The cases and the library are
 * bundled for the browser, run on a page, and what they gave is checked here
 * against the cases' expectations. Needs Debian's `chromium` (or `CHROMIUM`
 * set to a Chromium binary). Exits 1 if any case fails.
 *
 * @module
 */
import { bundleForBrowser, withChromium } from "../../bench/_chromium.ts";
import { CASES, type Outcome } from "./cases.ts";
import { check } from "./check.ts";

const script = await bundleForBrowser(new URL("page.ts", import.meta.url));
const { failed } = await withChromium({
  "index.html":
    `<!doctype html><meta charset="utf-8"><title>@sp/mem cases</title>` +
    `<body style="white-space: pre; font: 13px monospace"></body>` +
    `<script type="module" src="page.js"></script>`,
  "page.js": script,
}, async ({ browser, published }) => {
  console.log(`runtime: chromium ${await browser.version()}`);
  const outcomes = await published<Outcome[]>("outcomes");
  return check("chromium", CASES, outcomes);
});
if (failed > 0) Deno.exitCode = 1;
