// SharedPages' cross-worker lock when its holder never lets go (a worker
// stopped inside a call): a destroy must end every wait with a
// DestroyedError, not leave the waiting workers blocked for ever.
import assert from "node:assert/strict";
import { SharedPages } from "../os/mod.ts";

const ENDINGS: [call: "alloc" | "close", answer: string][] = [
  [
    "alloc",
    "DestroyedError: Shared page source was used after destroy() by another instance on its handle (in this or another worker): make a new one",
  ],
  ["close", "close returned"], // after a destroy, close() does nothing
];

for (const [call, answer] of ENDINGS) {
  Deno.test(`SharedPages: a destroy ends a wait for a lock whose holder is gone (${call})`, async () => {
    const pages = new SharedPages({ reserve: 2 ** 20 });
    // Word 0 of the shared state is the lock: 1 is "held" — by no one now.
    new Int32Array(pages.handle.state)[0] = 1;
    const worker = new Worker(
      new URL("./_locked_out_worker.ts", import.meta.url),
      { type: "module" },
    );
    const answers: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("still waiting")),
        10_000,
      );
      worker.onmessage = (e: MessageEvent<string>) => {
        answers.push(e.data);
        if (e.data === "waiting") {
          // Let it block in the lock, then destroy the source.
          setTimeout(() => pages.destroy(), 100);
        } else {
          clearTimeout(timer);
          resolve();
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        clearTimeout(timer);
        reject(new Error(e.message));
      };
    });
    worker.postMessage({ handle: pages.handle, call });
    try {
      await done;
    } finally {
      worker.terminate();
    }
    assert.deepEqual(answers, ["waiting", answer]);
  });
}
