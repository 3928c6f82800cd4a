// The worker of the README's "Workers" example: it attaches to the shared
// pages it is sent, allocates from a heap of its own, frees the block the
// main thread allocated (a remote free) and sends back a block of its own.
import { SharedPages, type SharedPagesHandle, WorkerHeap } from "@sp/mem";

/** What the main thread posts: the pages' handle and a block to free. */
export interface Request {
  handle: SharedPagesHandle;
  block: number;
}

// The worker's global scope, typed for the two members this file uses.
const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent<Request>) => void;
  postMessage(reply: { block: number }): void;
};

scope.onmessage = ({ data }) => {
  const heap = new WorkerHeap({ pages: SharedPages.attach(data.handle) });
  const mine = heap.alloc(64); // no atomic operation: its own heap
  heap.memory.u32[mine / 4] = heap.memory.u32[data.block / 4] + 1;
  heap.free(data.block, 64); // the main thread's block: a remote free
  scope.postMessage({ block: mine });
};
