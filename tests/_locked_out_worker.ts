/// <reference lib="deno.worker" />
// One worker of tests/shared_lock_test.ts: asks for a run while the lock is
// held by a worker that will never let go, and answers with what it got.
import { SharedPages } from "../os/mod.ts";

self.onmessage = (e: MessageEvent<{ handle: SharedPages["handle"] }>) => {
  const pages = SharedPages.attach(e.data.handle);
  self.postMessage("waiting");
  try {
    pages.alloc(4096);
    self.postMessage("allocated");
  } catch (error) {
    self.postMessage(`${(error as Error).name}: ${(error as Error).message}`);
  }
};
