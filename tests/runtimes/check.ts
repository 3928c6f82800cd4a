// Checks a runtime's outcomes against the cases' expectations with
// node:assert, one line per case, and a closing count.
import assert from "node:assert/strict";
import type { Outcome, RuntimeCase } from "./cases.ts";

/** How many cases passed and failed. */
export interface Tally {
  passed: number;
  failed: number;
}

/**
 * Compares each outcome with its case's `expect` (deep, strict) and prints
 * `ok` or `FAIL` with the difference, then `N passed, N failed`.
 *
 * @param label The runtime, printed before each line.
 * @param cases The cases that ran.
 * @param outcomes What the runtime gave, one per case in the same order.
 * @returns The counts.
 */
export function check(
  label: string,
  cases: RuntimeCase[],
  outcomes: Outcome[],
): Tally {
  const tally = { passed: 0, failed: 0 };
  cases.forEach((c, i) => {
    const outcome = outcomes[i];
    try {
      assert.equal(outcome?.name, c.name, "the cases ran out of order");
      if (outcome.threw !== undefined) throw new Error(outcome.threw);
      assert.deepEqual(outcome.actual, c.expect);
      tally.passed++;
      console.log(`${label}: ok   ${c.name}`);
    } catch (e) {
      tally.failed++;
      console.log(`${label}: FAIL ${c.name}\n${(e as Error).message}`);
    }
  });
  console.log(`${label}: ${tally.passed} passed, ${tally.failed} failed`);
  return tally;
}
