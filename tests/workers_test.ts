// Workers on one SharedPages: 2 and 4 Deno workers × 100,000 random
// operations each, on the shared runs and on a WorkerHeap per worker, where a
// quarter of the blocks are freed by the next worker (tests/_worker_ops.ts).
// Every block carries a fill pattern checked before it is freed, and a
// shared claim table catches a block handed out twice. After the join:
// nothing lost, every count adds up, every heap validated at 0 bytes used,
// the shared source holds nothing.
import assert from "node:assert/strict";
import { SharedPages } from "../os/mod.ts";
import type { WorkerResult, WorkerTask } from "./_worker_ops.ts";

const OPS = 100_000;
// A worker that has not answered by then is stuck (a broken lock can leave
// the shared bookkeeping in a loop): the test fails instead of hanging.
const TIMEOUT_MS = 60_000;

interface Case {
  kind: WorkerTask["kind"];
  workers: number;
}

const cases: Case[] = [
  { kind: "pages", workers: 2 },
  { kind: "pages", workers: 4 },
  { kind: "heap", workers: 2 },
  { kind: "heap", workers: 4 },
];

async function run(c: Case): Promise<WorkerResult[]> {
  const reserve = c.kind === "heap" ? 2 ** 28 : 2 ** 27;
  using pages = new SharedPages({ reserve });
  const capacity = OPS;
  const exchange = new SharedArrayBuffer(c.workers * (4 + 3 * capacity) * 4);
  const claims = new SharedArrayBuffer(reserve / 16 * 4);
  const results = await Promise.all(
    Array.from({ length: c.workers }, (_, index) => {
      const worker = new Worker(
        new URL("./_worker_ops.ts", import.meta.url),
        { type: "module" },
      );
      const task: WorkerTask = {
        kind: c.kind,
        handle: pages.handle,
        exchange,
        claims,
        index,
        workers: c.workers,
        ops: OPS,
        capacity,
      };
      return new Promise<WorkerResult>((resolve, reject) => {
        const done = (settle: () => void) => {
          clearTimeout(timer);
          worker.terminate();
          settle();
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`worker ${index} timed out`))),
          TIMEOUT_MS,
        );
        worker.onmessage = (e: MessageEvent<WorkerResult>) =>
          done(() => resolve(e.data));
        worker.onerror = (e) => {
          e.preventDefault(); // the test fails, not the whole run
          done(() => reject(new Error(e.message)));
        };
        worker.postMessage(task);
      });
    }),
  );
  // Nothing is left in the shared source: every run freed, every heap's
  // segments given back.
  assert.equal(pages.liveBytes, 0);
  assert.equal(pages.liveRuns, 0);
  assert.equal(new Int32Array(claims).some((t) => t !== 0), false);
  return results;
}

for (const c of cases) {
  Deno.test(`${c.workers} workers × ${OPS} operations on ${c.kind === "heap" ? "a WorkerHeap each" : "shared page runs"}, a quarter freed by another worker`, async () => {
    const results = await run(c);
    assert.deepEqual(results.flatMap((r) => r.errors), []);
    for (let w = 0; w < c.workers; w++) {
      const r = results[w];
      // What worker w sent, worker w + 1 received and freed.
      assert.equal(results[(w + 1) % c.workers].received, r.sent);
      assert.ok(r.sent > OPS / 10, `worker ${w} sent only ${r.sent}`);
      assert.ok(
        r.bad >= 2 * (OPS / 1000),
        `worker ${w} made ${r.bad} bad calls`,
      );
      assert.equal(r.refused, r.bad);
      if (c.kind === "heap") {
        assert.equal(r.bytesUsed, 0);
        assert.equal(r.remoteErrors, 0);
      }
    }
    const total = (k: keyof WorkerResult) =>
      results.reduce((sum, r) => sum + (r[k] as number), 0);
    assert.equal(total("frees"), total("allocs"));
  });
}
