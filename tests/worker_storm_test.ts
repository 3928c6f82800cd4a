// The remote-free storm: N WorkerHeaps in N workers (2, 4 and 8 on a 2-core
// machine: oversubscribed) on one SharedPages, 1,000 rounds of cross-frees,
// each round ended by every worker calling collect() and validate() at the
// same moment (tests/_worker_storm.ts). Every block is accounted for: each
// heap's bytesUsed is exact after every collect, the counts of frees add up
// to the allocations, and the shared source holds nothing at the end.
import assert from "node:assert/strict";
import { SharedPages } from "../os/mod.ts";
import { runWorkers } from "./_run_workers.ts";
import {
  BLOCKS,
  makeStorm,
  type StormResult,
  type StormTask,
} from "./_worker_storm.ts";

const ROUNDS = 1_000;
// A worker that has not answered by then is stuck: fail instead of hanging.
const TIMEOUT_MS = 120_000;

async function storm(
  workers: number,
): Promise<{ results: StormResult[]; liveBytes: number; liveRuns: number }> {
  // A small reservation, so that every heap's pages share words of the
  // shared bitmaps with the other heaps' pages.
  using pages = new SharedPages({ reserve: 2 ** 24 });
  const task = makeStorm(pages, workers, ROUNDS);
  const results = await runWorkers<StormTask, StormResult>(
    new URL("./_worker_storm.ts", import.meta.url),
    Array.from({ length: workers }, (_, index) => ({ ...task, index })),
    TIMEOUT_MS,
  );
  return { results, liveBytes: pages.liveBytes, liveRuns: pages.liveRuns };
}

for (const workers of [2, 4, 8]) {
  Deno.test(
    `remote-free storm: ${workers} workers × ${ROUNDS} rounds, collect() and validate() together`,
    async () => {
      const { results, liveBytes, liveRuns } = await storm(workers);
      assert.deepEqual(results.flatMap((r) => r.errors), []);
      assert.deepEqual({ liveBytes, liveRuns }, { liveBytes: 0, liveRuns: 0 });
      const sum = (key: keyof Omit<StormResult, "errors">) =>
        results.reduce((n, r) => n + r[key], 0);
      const allocs = workers * ROUNDS * BLOCKS;
      assert.equal(sum("allocs"), allocs);
      assert.equal(sum("localFrees") + sum("remoteFrees"), allocs);
      // Block j of worker v is freed by worker (v + j) % workers.
      const local = workers * ROUNDS * Math.ceil(BLOCKS / workers);
      assert.equal(sum("localFrees"), local);
      // The round-end collects take back what the alloc paths did not.
      assert.ok(sum("collected") > 0 && sum("collected") <= allocs - local);
    },
  );
}
