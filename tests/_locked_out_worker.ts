/// <reference lib="deno.worker" />
// One worker of tests/shared_lock_test.ts: makes a call that needs the lock
// while the lock is held by a worker that will never let go, and answers
// with what it got.
import { SharedPages } from "../os/mod.ts";

self.onmessage = (
  e: MessageEvent<{ handle: SharedPages["handle"]; call: "alloc" | "close" }>,
) => {
  const pages = SharedPages.attach(e.data.handle);
  self.postMessage("waiting");
  try {
    if (e.data.call === "alloc") pages.alloc(4096);
    else pages.close();
    self.postMessage(`${e.data.call} returned`);
  } catch (error) {
    self.postMessage(`${(error as Error).name}: ${(error as Error).message}`);
  }
};
