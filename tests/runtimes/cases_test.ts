// The cross-runtime cases in Deno too, so that `deno task test` keeps the
// table right; Node, Bun and Chromium run it from `.ci/run`.
import assert from "node:assert/strict";
import { CASES } from "./cases.ts";

Deno.test("cross-runtime cases", async (t) => {
  for (const c of CASES) {
    await t.step({
      name: c.name,
      ignore: c.withoutDeno,
      fn: () => assert.deepEqual(c.run(), c.expect),
    });
  }
});
