// The process-safety fuzz of tests/_fuzz.ts on pools: the same random calls,
// one in ten bad, checked against the same model, on a pool on each page
// source and on a heap. (Run in this process: a pool touches its memory only
// through typed-array views, so a bug is an exception, not a crash.)
import assert from "node:assert/strict";
import { fuzz, type Target } from "./_fuzz.ts";
import { sources } from "./_sources.ts";
import { poolSubject } from "./_subjects.ts";

/** Pools to fuzz: on each page source, and on a heap. */
export const poolTargets: Target[] = [
  ...sources.map((s) => ({
    name: `Pool on ${s.name}`,
    make: () => poolSubject(s, 2 ** 26),
  })),
  {
    name: "Pool on a Heap",
    make: () => poolSubject(sources[1], 2 ** 26, { onHeap: true }),
  },
  {
    name: "Pool of 40-byte blocks",
    make: () => poolSubject(sources[1], 2 ** 26, { blockSize: 40 }),
  },
];

const QUIET = { ops: Infinity, ms: Infinity, print: () => {} };

Deno.test("fuzz: random calls, one in ten bad, on pools", async (t) => {
  for (const target of poolTargets) {
    await t.step(target.name, () => {
      const result = fuzz(target, 100_000, 12345, QUIET);
      assert.equal(result.error, undefined);
      assert.equal(result.ops, 100_000);
    });
  }
});
