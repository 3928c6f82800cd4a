/**
 * The cross-runtime cases in this process: `node tests/runtimes/run.ts`
 * (Node ≥ 22 strips the types itself), `bun tests/runtimes/run.ts`, or the
 * same file bundled to JavaScript for an older Node. Exits 1 if any case
 * fails.
 *
 * With `--or-refused`, a runtime whose `new BufferPages()` throws passes if
 * it says why (the library refuses a runtime it cannot serve at
 * construction, never halfway through); one that constructs must pass every
 * case.
 *
 * @module
 */
import process from "node:process";
import { BufferPages } from "../../mod.ts";
import { CASES, observe } from "./cases.ts";
import { check } from "./check.ts";

const name = process.versions.bun ? "bun" : "node";
const version = process.versions.bun ?? process.versions.node;
console.log(`runtime: ${name} ${version}`);

let pages: BufferPages | undefined;
try {
  pages = new BufferPages({ reserve: 2 * 4096 });
} catch (e) {
  if (!process.argv.includes("--or-refused")) throw e;
  console.log(`${name}: refused at construction: ${(e as Error).message}`);
}
if (pages) {
  pages.destroy();
  const cases = CASES.filter((c) => !c.withoutDeno || !("Deno" in globalThis));
  const { failed } = check(name, cases, observe(cases));
  if (failed > 0) process.exitCode = 1;
}
