// One worker of tests/worker_storm_test.ts: rounds of cross-frees between
// WorkerHeaps on one SharedPages, each round ended by every worker calling
// collect() and validate() at the same moment.
//
// Round r, in every worker w:
//   1. allocate BLOCKS blocks (a few of them large), publish them in
//      outbox[r % 2][w]; meanwhile free the blocks of round r - 1 assigned to
//      w (block j of worker v goes to worker (v + j) % workers: mostly remote
//      frees, some local), so that owners collect from their alloc path while
//      other workers allocate and free pages;
//   2. barrier; collect(), validate(), and bytesUsed must be exactly what
//      round r's own blocks use (every remote free of round r - 1 was made
//      before the barrier, so collect() must have taken them all back);
//   3. barrier (nobody frees into a heap while its owner validates).
// A shared claim table (tag per 16 bytes) catches a block handed out twice.
import { WorkerHeap } from "../heap/mod.ts";
import { workerRandom } from "./_run_workers.ts";
import { SharedPages, type SharedPagesHandle } from "../os/mod.ts";
import { classOf } from "./_heap_model.ts";

export interface StormTask {
  handle: SharedPagesHandle;
  /** Barrier words, then the outboxes: 2 × workers × BLOCKS × (ptr, size). */
  sync: SharedArrayBuffer;
  claims: SharedArrayBuffer;
  index: number;
  workers: number;
  rounds: number;
}

export interface StormResult {
  errors: string[];
  allocs: number;
  localFrees: number;
  remoteFrees: number;
  /** What the round-end collect() calls took back, summed. */
  collected: number;
}

/** Blocks each worker allocates per round. */
export const BLOCKS = 24;
const COUNT = 0, GENERATION = 1, ABORT = 2, HEAD = 4;

/** The shared buffers of one storm of `workers` workers. */
export function makeStorm(
  pages: SharedPages,
  workers: number,
  rounds: number,
): Omit<StormTask, "index"> {
  return {
    handle: pages.handle,
    sync: new SharedArrayBuffer((HEAD + 2 * workers * BLOCKS * 2) * 4),
    claims: new SharedArrayBuffer(pages.reservedBytes / 16 * 4),
    workers,
    rounds,
  };
}

/** Bytes a live block of `size` takes in its heap's bytesUsed. */
const charge = (size: number) => size > 2016 ? size : classOf(size)!;

class Aborted extends Error {}

export function runStorm(task: StormTask): StormResult {
  const { index, workers, rounds } = task;
  const sync = new Int32Array(task.sync);
  const claims = new Int32Array(task.claims);
  const result: StormResult = {
    errors: [],
    allocs: 0,
    localFrees: 0,
    remoteFrees: 0,
    collected: 0,
  };
  const error = (what: string) => {
    if (result.errors.length < 10) {
      result.errors.push(`worker ${index}: ${what}`);
    }
  };
  const pages = SharedPages.attach(task.handle);
  const heap = new WorkerHeap({ pages, decayMs: Infinity });
  const { i32 } = pages.memory;
  const random = workerRandom(index);
  // Mostly small blocks; one in 12 large (its own pages, handed back to the
  // shared source as soon as it is freed).
  const sizeOf = () =>
    random() < 1 / 12
      ? 2017 + Math.floor(random() * 20_000)
      : 1 + Math.floor(2 ** (random() * 9));
  const slot = (round: number, worker: number, j: number) =>
    HEAD + (((round & 1) * workers + worker) * BLOCKS + j) * 2;

  // A sense-counting barrier: the last to arrive starts the next generation.
  const barrier = () => {
    const generation = Atomics.load(sync, GENERATION);
    if (Atomics.add(sync, COUNT, 1) === workers - 1) {
      Atomics.store(sync, COUNT, 0);
      Atomics.add(sync, GENERATION, 1);
      Atomics.notify(sync, GENERATION);
      return;
    }
    while (Atomics.load(sync, GENERATION) === generation) {
      if (Atomics.load(sync, ABORT) !== 0) throw new Aborted();
      Atomics.wait(sync, GENERATION, generation, 100);
    }
  };

  const release = (ptr: number, size: number, tag: number, owner: number) => {
    if (i32[ptr / 4] !== tag || i32[(ptr + size) / 4 - 1] !== tag) {
      error(`block ${ptr} of ${size} bytes lost its pattern`);
    }
    if (Atomics.compareExchange(claims, ptr / 16, tag, 0) !== tag) {
      error(`block ${ptr} was not claimed by tag ${tag}`);
    }
    heap.free(ptr, size);
    if (owner === index) result.localFrees++;
    else result.remoteFrees++;
  };
  // Frees, from round `round`'s outboxes, the blocks assigned to this worker
  // whose number is `j`.
  const freeAssigned = (round: number, j: number) => {
    for (let v = 0; v < workers; v++) {
      if ((v + j) % workers !== index) continue;
      const at = slot(round, v, j);
      const ptr = sync[at], size = sync[at + 1];
      release(ptr, size, tagOf(v, round, j), v);
    }
  };
  const tagOf = (worker: number, round: number, j: number) =>
    ((worker + 1) << 24) | ((round * BLOCKS + j) & 0xffffff);

  try {
    let expected = 0; // what this round's own blocks use
    for (let round = 0; round <= rounds; round++) {
      expected = 0;
      for (let j = 0; j < BLOCKS; j++) {
        if (round > 0) freeAssigned(round - 1, j);
        if (round === rounds) continue; // the last pass only frees
        const size = 4 * Math.ceil(sizeOf() / 4);
        const ptr = heap.alloc(size);
        const tag = tagOf(index, round, j);
        if (Atomics.compareExchange(claims, ptr / 16, 0, tag) !== 0) {
          error(`block ${ptr} was handed out while live`);
        }
        i32[ptr / 4] = tag;
        i32[(ptr + size) / 4 - 1] = tag;
        const at = slot(round, index, j);
        sync[at] = ptr;
        sync[at + 1] = size;
        expected += charge(size);
        result.allocs++;
      }
      barrier();
      result.collected += heap.collect();
      heap.validate();
      if (heap.bytesUsed !== expected) {
        error(
          `round ${round}: ${heap.bytesUsed} bytes used after collect(), ${expected} expected`,
        );
      }
      if (heap.remoteErrors.length !== 0) {
        error(`round ${round}: ${heap.remoteErrors[0].message}`);
      }
      barrier();
      if (result.errors.length !== 0) break;
    }
    heap.destroy();
  } catch (e) {
    if (!(e instanceof Aborted)) {
      error(String((e as Error).stack ?? e));
      Atomics.store(sync, ABORT, 1);
      Atomics.notify(sync, GENERATION);
    }
  }
  if (result.errors.length !== 0) {
    // The others may wait at a barrier this worker will not reach.
    Atomics.store(sync, ABORT, 1);
    Atomics.notify(sync, GENERATION);
  }
  return result;
}

// As a worker: run the task posted, post the result.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<StormTask>) => void) | null;
  postMessage(message: StormResult): void;
};
if ("WorkerGlobalScope" in globalThis) {
  scope.onmessage = (event) => scope.postMessage(runStorm(event.data));
}
