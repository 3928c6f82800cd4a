/// <reference lib="deno.worker" />
// One side of tests/worker_race_test.ts: the owner (A) and another worker (B)
// free A's large block at the same moment, a double free by the program;
// then A allocates a block of the same size (the same pages, mostly) and
// checks that nothing freed it: a mark of B's left on the pages after they
// went back would free the new block at A's next collect.
import { WorkerHeap } from "../heap/mod.ts";
import { SharedPages } from "../os/mod.ts";
import { workerRandom } from "./_run_workers.ts";

/** What the test sends each side. */
export interface RaceMessage {
  handle: SharedPages["handle"];
  role: "A" | "B";
  /** [block, barrier 1, barrier 2, barrier 3] */
  box: SharedArrayBuffer;
  attempts: number;
}

/** What each side answers. */
export interface RaceAnswer {
  role: "A" | "B";
  /** B's frees that did not throw (each must be refused by A instead). */
  accepted: number;
  /** A's blocks of the second alloc that a collect freed: must be 0. */
  freedLive: number;
  /** A's remote errors at the end. */
  refused: number;
  /** A's bytesUsed at the end (every block freed): must be 0. */
  bytesUsed: number;
}

const SIZE = 100000;

self.onmessage = (e: MessageEvent<RaceMessage>) => {
  const { handle, role, box, attempts } = e.data;
  const pages = SharedPages.attach(handle);
  const heap = new WorkerHeap({ pages });
  const b = new Int32Array(box);
  const random = workerRandom(role === "A" ? 1 : 2);
  const barrier = (i: number, k: number) => {
    Atomics.add(b, i, 1);
    while (Atomics.load(b, i) < 2 * k) { /* spin: both sides free at once */ }
  };
  let accepted = 0, freedLive = 0;
  for (let k = 1; k <= attempts; k++) {
    if (role === "A") Atomics.store(b, 0, heap.alloc(SIZE));
    barrier(1, k);
    const block = Atomics.load(b, 0);
    // A few hundred nanoseconds of skew either way, so that each side
    // wins the race sometimes.
    for (let i = Math.floor(random() * 3000); i > 0; i--) Atomics.load(b, 0);
    try {
      heap.free(block, SIZE);
      if (role === "B") accepted++;
    } catch {
      // A double free refused at once (B), or after B's mark (A).
    }
    barrier(2, k);
    if (role === "A") {
      const again = heap.alloc(SIZE);
      try {
        heap.collect();
      } catch {
        // B's free refused here: counted in refusedRemoteFrees.
      }
      try {
        heap.usableSize(again);
        heap.free(again, SIZE);
      } catch {
        freedLive++;
      }
    }
    barrier(3, k);
  }
  const answer: RaceAnswer = {
    role,
    accepted,
    freedLive,
    refused: heap.refusedRemoteFrees,
    bytesUsed: heap.bytesUsed,
  };
  heap.destroy();
  self.postMessage(answer);
};
