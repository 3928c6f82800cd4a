/**
 * The workers test in Node or Bun, with `node:worker_threads`:
 * `node tests/runtimes/workers.ts` (Node ≥ 22 strips the types) or
 * `bun tests/runtimes/workers.ts`. Runs 2 and 4 workers × 100,000 operations
 * on shared page runs and on a WorkerHeap each, a quarter of the blocks freed
 * by the next worker (tests/_worker_ops.ts), and checks the join as
 * tests/workers_test.ts does in Deno. Exits 1 if any run has a problem.
 *
 * @module
 */
import process from "node:process";
import {
  isMainThread,
  parentPort,
  Worker,
  workerData,
} from "node:worker_threads";
import { SharedPages } from "../../os/mod.ts";
import {
  makeTask,
  problems,
  runWorker,
  type WorkerResult,
  type WorkerTask,
} from "../_worker_ops.ts";

const OPS = 100_000;
const name = process.versions.bun ? "bun" : "node";

async function run(kind: WorkerTask["kind"], workers: number) {
  const pages = new SharedPages({
    // Room for a worker that runs far ahead of the next one, whose sent
    // blocks wait until that one runs: with 2 ** 27 for page runs, 4
    // workers on 2 cores ran out once (Bun, in CI).
    reserve: 2 ** 29,
  });
  const task = makeTask(kind, pages, workers, OPS);
  const results = await Promise.all(
    Array.from(
      { length: workers },
      (_, index) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { ...task, index } satisfies WorkerTask,
          });
          worker.once("message", (r: WorkerResult) => {
            resolve(r);
            worker.terminate();
          });
          worker.once("error", reject);
        }),
    ),
  );
  const found = problems(task, pages, results);
  pages.destroy();
  return found;
}

if (isMainThread) {
  console.log(
    `runtime: ${name} ${process.versions.bun ?? process.versions.node}`,
  );
  let failed = 0;
  for (const kind of ["pages", "heap"] as const) {
    for (const workers of [2, 4]) {
      const found = await run(kind, workers);
      const what = `${workers} workers × ${OPS} operations on ${kind}`;
      if (found.length === 0) console.log(`${name}: ok   ${what}`);
      else {
        failed++;
        console.log(`${name}: FAIL ${what}\n  ${found.join("\n  ")}`);
      }
    }
  }
  if (failed > 0) process.exitCode = 1;
} else {
  parentPort!.postMessage(runWorker(workerData as WorkerTask));
}
