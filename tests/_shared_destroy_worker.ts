// The worker of tests/shared_destroy_test.ts: attaches to the posted handle,
// makes a WorkerHeap on its instance and allocates (answering "ready"), then,
// told that the main thread destroyed the shared source, makes each call of
// CALLS in the order posted and answers with what each did (by index).
/// <reference lib="deno.worker" />
import { WorkerHeap } from "../heap/mod.ts";
import { SharedPages, type SharedPagesHandle } from "../os/mod.ts";
import { CALLS, type Outcome, outcome, type Ready } from "./_shared_destroy.ts";

let state:
  | { pages: SharedPages; heap: WorkerHeap; ptr: Ready["ptr"] }
  | undefined;

self.onmessage = (
  e: MessageEvent<{ handle: SharedPagesHandle } | { order: number[] }>,
) => {
  if ("handle" in e.data) {
    const pages = SharedPages.attach(e.data.handle);
    const heap = new WorkerHeap({ pages });
    const ptr = { block: heap.alloc(24), run: pages.alloc(4096) };
    state = { pages, heap, ptr };
    self.postMessage({ id: pages.id, ptr } satisfies Ready);
    return;
  }
  const { pages, heap, ptr } = state!;
  const outcomes: Outcome[] = [];
  for (const i of e.data.order) {
    outcomes[i] = outcome(() => CALLS[i][1](pages, heap, ptr));
  }
  self.postMessage({
    outcomes,
    destroyed: [pages.destroyed, pages.memory.destroyed, heap.destroyed],
  });
};
