// One worker of tests/workers_test.ts: random allocations and frees on a
// shared page source (its runs, or a WorkerHeap on it), where a quarter of
// the blocks are sent to the next worker, which checks and frees them.
//
// Exchange buffer, per worker w: [count, done, drained, 0, then CAP entries
// of (ptr, size, tag)]; worker w sends into its own part and reads the part
// of worker w - 1. `claims[ptr / 16]` holds the tag of the live block that
// starts there, so a block handed out twice is seen at once; every block is
// filled with its tag and checked before it is freed.
import { WorkerHeap } from "../heap/mod.ts";
import { workerRandom } from "./_run_workers.ts";
import {
  PointerError,
  SharedPages,
  type SharedPagesHandle,
} from "../os/mod.ts";

export interface WorkerTask {
  kind: "pages" | "heap";
  handle: SharedPagesHandle;
  exchange: SharedArrayBuffer;
  claims: SharedArrayBuffer;
  index: number;
  workers: number;
  ops: number;
  capacity: number;
}

export interface WorkerResult {
  allocs: number;
  frees: number;
  sent: number;
  received: number;
  /** Bad calls made, and how many were refused with a PointerError. */
  bad: number;
  refused: number;
  errors: string[];
  /** For a heap, after everything was freed and collected. */
  bytesUsed: number;
  remoteErrors: number;
  collected: number;
}

const HEAD = 4;

/** The shared buffers of one run of `workers` workers on `pages`. */
export function makeTask(
  kind: WorkerTask["kind"],
  pages: SharedPages,
  workers: number,
  ops: number,
): Omit<WorkerTask, "index"> {
  return {
    kind,
    handle: pages.handle,
    exchange: new SharedArrayBuffer(workers * (HEAD + 3 * ops) * 4),
    claims: new SharedArrayBuffer(pages.reservedBytes / 16 * 4),
    workers,
    ops,
    capacity: ops,
  };
}

/**
 * What is wrong with a run, once every worker has reported: each worker's
 * errors, sends that were not received, counts that do not add up, a heap
 * left with bytes in use, memory left in the shared source. Empty when all
 * is well.
 */
export function problems(
  task: Omit<WorkerTask, "index">,
  pages: SharedPages,
  results: WorkerResult[],
): string[] {
  const out = results.flatMap((r) => r.errors);
  const { workers, ops } = task;
  for (let w = 0; w < workers; w++) {
    const r = results[w];
    const next = results[(w + 1) % workers];
    if (next.received !== r.sent) {
      out.push(
        `worker ${w} sent ${r.sent}, the next received ${next.received}`,
      );
    }
    if (r.sent < ops / 10) out.push(`worker ${w} sent only ${r.sent}`);
    if (r.bad < 2 * (ops / 1000) || r.refused !== r.bad) {
      out.push(`worker ${w}: ${r.refused} of ${r.bad} bad calls refused`);
    }
    if (task.kind === "heap" && (r.bytesUsed !== 0 || r.remoteErrors !== 0)) {
      out.push(
        `worker ${w}: ${r.bytesUsed} bytes used, ${r.remoteErrors} remote errors`,
      );
    }
  }
  const allocs = results.reduce((n, r) => n + r.allocs, 0);
  const frees = results.reduce((n, r) => n + r.frees, 0);
  if (allocs !== frees) out.push(`${allocs} allocations, ${frees} frees`);
  if (pages.liveBytes !== 0 || pages.liveRuns !== 0) {
    out.push(`${pages.liveBytes} bytes in ${pages.liveRuns} runs left`);
  }
  if (new Int32Array(task.claims).some((t) => t !== 0)) {
    out.push("a block is still claimed");
  }
  return out;
}

function emptyResult(): WorkerResult {
  return {
    allocs: 0,
    frees: 0,
    sent: 0,
    received: 0,
    bad: 0,
    refused: 0,
    errors: [],
    bytesUsed: -1,
    remoteErrors: 0,
    collected: 0,
  };
}

export function runWorker(task: WorkerTask): WorkerResult {
  const { kind, index, workers, ops, capacity } = task;
  const pages = SharedPages.attach(task.handle);
  const heap = kind === "heap"
    ? new WorkerHeap({ pages, decayMs: Infinity })
    : undefined;
  const allocator = heap ?? pages;
  const { i32 } = pages.memory;
  const exchange = new Int32Array(task.exchange);
  const claims = new Int32Array(task.claims);
  const part = HEAD + 3 * capacity;
  const mine = index * part;
  const theirs = ((index + workers - 1) % workers) * part;
  const result = emptyResult();
  const random = workerRandom(index);
  // Sizes on a log scale: 4 B to 16 KiB for the heap, 1 to 3 pages for runs.
  const sizeOf = () =>
    kind === "heap"
      ? 4 * Math.floor(2 ** (random() * 12))
      : 4096 * (1 + Math.floor(random() * 3)) - 4 * Math.floor(random() * 1024);
  const error = (what: string) => {
    if (result.errors.length < 10) {
      result.errors.push(`worker ${index}: ${what}`);
    }
  };

  const check = (ptr: number, size: number, tag: number) => {
    for (let w = ptr / 4, end = w + size / 4; w < end; w++) {
      if (i32[w] !== tag) {
        error(`block ${ptr} of ${size} bytes lost its pattern at ${w * 4}`);
        return;
      }
    }
    if (Atomics.compareExchange(claims, ptr / 16, tag, 0) !== tag) {
      error(`block ${ptr} was not claimed by tag ${tag}`);
    }
  };

  const live: number[] = []; // ptr, size, tag
  let seq = 0;
  let cursor = 0;
  const receive = () => {
    const count = Atomics.load(exchange, theirs);
    for (; cursor < count; cursor++) {
      const at = theirs + HEAD + 3 * cursor;
      const [ptr, size, tag] = [
        exchange[at],
        exchange[at + 1],
        exchange[at + 2],
      ];
      check(ptr, size, tag);
      allocator.free(ptr, size);
      result.received++;
      result.frees++;
    }
  };

  for (let op = 0; op < ops; op++) {
    if (op % 16 === 0) receive();
    if (op % 1000 === 999) badCalls();
    if (live.length === 0 || (live.length < 3000 && random() < 0.55)) {
      const size = sizeOf();
      const ptr = allocator.alloc(size);
      const tag = ((index + 1) << 24) | (++seq & 0xffffff);
      if (Atomics.compareExchange(claims, ptr / 16, 0, tag) !== 0) {
        error(`block ${ptr} was handed out while live`);
      }
      i32.fill(tag, ptr / 4, (ptr + size) / 4);
      result.allocs++;
      if (random() < 0.25 && result.sent < capacity) {
        const at = mine + HEAD + 3 * result.sent;
        exchange[at] = ptr;
        exchange[at + 1] = size;
        exchange[at + 2] = tag;
        Atomics.store(exchange, mine, ++result.sent);
      } else {
        live.push(ptr, size, tag);
      }
    } else {
      const i = 3 * Math.floor(random() * (live.length / 3));
      const [ptr, size, tag] = live.slice(i, i + 3);
      live.copyWithin(i, live.length - 3);
      live.length -= 3;
      check(ptr, size, tag);
      allocator.free(ptr, size);
      result.frees++;
    }
  }

  // Calls that must be refused, changing nothing this worker can see.
  function badCalls() {
    const used = heap?.bytesUsed;
    const calls: (() => unknown)[] = [
      () => allocator.free(pages.memory.byteLength + 4096, 16),
      () => allocator.free(-16, 16),
    ];
    if (live.length > 0) {
      // Inside the oldest live block (never at another block's start).
      const [ptr, size] = live;
      const inside = size > (kind === "heap" ? 16 : 4096)
        ? (kind === "heap" ? 16 : 4096)
        : 8;
      calls.push(() => allocator.free(ptr + inside, size));
    }
    for (const call of calls) {
      result.bad++;
      try {
        call();
        error("a bad free was accepted");
      } catch (e) {
        if (e instanceof PointerError) result.refused++;
        else error(`a bad free threw ${e}`);
      }
    }
    if (heap !== undefined && heap.bytesUsed !== used) {
      error("a refused call changed bytesUsed");
    }
  }

  // Free what is left, then take the rest of what the previous worker sent.
  while (live.length > 0) {
    const [ptr, size, tag] = live.splice(live.length - 3, 3);
    check(ptr, size, tag);
    allocator.free(ptr, size);
    result.frees++;
  }
  Atomics.store(exchange, mine + 1, 1);
  Atomics.notify(exchange, mine + 1);
  while (Atomics.load(exchange, theirs + 1) === 0) {
    Atomics.wait(exchange, theirs + 1, 0, 100);
  }
  receive();
  if (heap !== undefined) {
    // Once every worker has sent its last remote free, collect and check.
    Atomics.store(exchange, mine + 2, 1);
    for (let w = 0; w < workers; w++) {
      while (Atomics.load(exchange, w * part + 2) === 0) {
        Atomics.wait(exchange, w * part + 2, 0, 100);
      }
    }
    result.collected = heap.collect();
    heap.validate();
    result.bytesUsed = heap.bytesUsed;
    result.remoteErrors = heap.remoteErrors.length;
    heap.destroy();
  }
  return result;
}

// As a worker: run the task posted, post the result.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<WorkerTask>) => void) | null;
  postMessage(message: WorkerResult): void;
};
if ("WorkerGlobalScope" in globalThis) {
  scope.onmessage = (event) => {
    let result: WorkerResult;
    try {
      result = runWorker(event.data);
    } catch (e) {
      result = emptyResult();
      result.errors.push(String((e as Error).stack ?? e));
      // Let the others finish: this worker will send nothing more.
      const { exchange, index, capacity } = event.data;
      const flags = new Int32Array(exchange, index * (HEAD + 3 * capacity) * 4);
      for (const flag of [1, 2]) {
        Atomics.store(flags, flag, 1);
        Atomics.notify(flags, flag);
      }
    }
    scope.postMessage(result);
  };
}
