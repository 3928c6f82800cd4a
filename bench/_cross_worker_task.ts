// One worker of the cross-worker workload (bench/cross_worker.ts): rounds of
// BATCH allocations, each written with 0x50 by its backend as in the report;
// half the blocks are freed here, half passed to the next worker through a
// ring in shared memory and freed there. On `heap`, each worker has a
// WorkerHeap on one SharedPages (a block freed by the next worker is a
// remote free); on `malloc`, each calls libc malloc and free through FFI
// (glibc gives each thread an arena, and frees a foreign block into its
// owner's), with integer addresses, which the ring can carry.
import { WorkerHeap } from "../heap/mod.ts";
import { SharedPages, type SharedPagesHandle } from "../os/mod.ts";
import type { Backend } from "./backends/backend.ts";
import { HeapBackend } from "./backends/heap.ts";
import { libcAddresses, MallocBackend } from "./backends/malloc.ts";

/** What a worker is told to do. */
export interface CrossTask {
  backend: "heap" | "malloc";
  handle: SharedPagesHandle;
  /** Rings (one per worker: [head, tail] then slots) and the start flag. */
  rings: SharedArrayBuffer;
  index: number;
  workers: number;
  rounds: number;
}

/** What it reports: when it started and ended (ms, comparable across workers). */
export interface CrossResult {
  start: number;
  end: number;
  ops: number;
}

/** Blocks allocated per round; sizes cycle through these. */
export const BATCH = 256;
const SIZES = [16, 24, 32, 48, 64, 96, 128, 256];
/** Slots per ring: a power of two, several rounds' worth. */
export const RING = 1 << 14;

/** Runs one worker's share; `Atomics.wait`s for the start flag first. */
export function runCrossTask(task: CrossTask): CrossResult {
  if (task.backend === "malloc") {
    return run(task, new MallocBackend(SIZES.at(-1)!, libcAddresses()), BigInt);
  }
  const heap = new WorkerHeap({
    pages: SharedPages.attach(task.handle),
    decayMs: Infinity,
  });
  return run(task, new HeapBackend(heap, "heap"), (p) => p);
}

// The workload on one backend; `fromRing` turns a ring slot back into the
// backend's handle. The backend is not destroyed: the other workers may
// still be freeing its blocks, and the worker ends with the run.
function run<H>(
  task: CrossTask,
  backend: Backend<H>,
  fromRing: (slot: number) => H,
): CrossResult {
  const { index, workers, rounds } = task;
  const heads = new Int32Array(task.rings, 0, 2 * workers + 1);
  const slots = new Float64Array(task.rings, 8 * (workers + 1));
  // Ring w: entries [w * RING, (w + 1) * RING) of (pointer, size) slots;
  // heads[2w] counts the entries read, heads[2w + 1] those written.
  const next = (index + 1) % workers;
  const mine = index * RING;
  const theirs = next * RING;
  let written = 0;
  let read = 0;
  const drain = () => {
    const tail = Atomics.load(heads, 2 * index + 1);
    for (; read < tail; read++) {
      const at = 2 * (mine + (read & (RING - 1)));
      backend.free(fromRing(slots[at]), slots[at + 1]);
    }
    Atomics.store(heads, 2 * index, read);
  };
  const kept: H[] = new Array(BATCH / 2);
  while (Atomics.load(heads, 2 * workers) === 0) {
    Atomics.wait(heads, 2 * workers, 0, 10);
  }
  const start = performance.timeOrigin + performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < BATCH; i++) {
      const size = SIZES[i & 7];
      const p = backend.alloc(size);
      if (i & 1) {
        kept[i >> 1] = p;
        continue;
      }
      // To the next worker; wait (freeing what came in) while its ring is full.
      while (written - Atomics.load(heads, 2 * next) >= RING) drain();
      const at = 2 * (theirs + (written & (RING - 1)));
      slots[at] = Number(p);
      slots[at + 1] = size;
      Atomics.store(heads, 2 * next + 1, ++written);
    }
    for (let i = 0; i < BATCH / 2; i++) {
      backend.free(kept[i], SIZES[(2 * i + 1) & 7]);
    }
    drain();
  }
  // Free what the previous worker still sends.
  const expected = rounds * BATCH / 2;
  while (read < expected) drain();
  const end = performance.timeOrigin + performance.now();
  return { start, end, ops: 2 * rounds * BATCH };
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<CrossTask>) => void) | null;
  postMessage(message: CrossResult | { error: string }): void;
};
if ("WorkerGlobalScope" in globalThis) {
  scope.onmessage = (event) => {
    try {
      scope.postMessage(runCrossTask(event.data));
    } catch (e) {
      scope.postMessage({ error: String((e as Error).stack ?? e) });
    }
  };
}
