// What tests/shared_destroy_test.ts asks of an instance (and its WorkerHeap)
// whose shared source another instance destroyed: each call, in order, and
// how it came out, the same in a worker and in the main thread.
import type { WorkerHeap } from "../heap/mod.ts";
import type { SharedPages } from "../os/mod.ts";

/** A worker's answer once it has allocated: its id and its pointers. */
export interface Ready {
  id: number;
  ptr: { block: number; run: number };
}

/** How one call came out: its result, or the error's name and message. */
export type Outcome = { value: unknown } | { error: string; message: string };

/** Runs `call`; says how it came out (structured-cloneable). */
export function outcome(call: () => unknown): Outcome {
  try {
    return { value: call() ?? null };
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message };
  }
}

type Call = (
  pages: SharedPages,
  heap: WorkerHeap,
  ptr: Ready["ptr"],
) => unknown;

/** The calls, by name. */
export const CALLS: [string, Call][] = [
  ["heap.alloc(24)", (_, heap) => heap.alloc(24)],
  ["heap.allocUnsafe(24)", (_, heap) => heap.allocUnsafe(24)],
  ["heap.free(block, 24)", (_, heap, ptr) => heap.free(ptr.block, 24)],
  ["heap.collect()", (_, heap) => heap.collect()],
  ["pages.alloc(4096)", (pages) => pages.alloc(4096)],
  ["pages.free(run, 4096)", (pages, _, ptr) => pages.free(ptr.run, 4096)],
  [
    "pages.memory.fill(run, 8, 1)",
    (pages, _, ptr) => pages.memory.fill(ptr.run, 8, 1),
  ],
  ["heap.destroy()", (_, heap) => heap.destroy()],
  ["pages.destroy()", (pages) => pages.destroy()],
];

const HEAP =
  "Worker heap was used after destroy() of its shared page source by another instance on its handle (in this or another worker): make a new one";
const PAGES =
  "Shared page source was used after destroy() by another instance on its handle (in this or another worker): make a new one";

/**
 * Orders in which the calls are made (indices into CALLS): the heap's
 * first, or the page source's first, so that the instance has followed the
 * destroy before its heap sees it. Each call does the same in either.
 */
export const ORDERS: Record<string, number[]> = {
  "heap first": [0, 1, 2, 3, 4, 5, 6, 7, 8],
  "pages first": [4, 5, 6, 0, 1, 2, 3, 7, 8],
};

/** What each call of CALLS must do (in any of ORDERS). */
export const EXPECTED: Outcome[] = [
  // The first call that reads the flag destroys the instance here too.
  { error: "DestroyedError", message: HEAP },
  { error: "DestroyedError", message: HEAP },
  { error: "DestroyedError", message: HEAP },
  { error: "DestroyedError", message: HEAP },
  { error: "DestroyedError", message: PAGES },
  { error: "DestroyedError", message: PAGES },
  {
    error: "DestroyedError",
    message:
      "Memory was used after its page source was destroyed: make a new page source",
  },
  { value: null },
  { value: null },
];
