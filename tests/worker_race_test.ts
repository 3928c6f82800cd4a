// A double free that races between a block's owner and another worker: the
// owner's free gives the block's pages back while the other's remote free
// marks the block. Every such free must be refused (thrown at once, or kept
// in the owner's remoteErrors), and no mark may outlive the pages: left
// behind, it freed the next live block there at the owner's next collect
// (tests/_worker_race.ts, which checks that after every attempt).
import assert from "node:assert/strict";
import { SharedPages } from "../os/mod.ts";
import type { RaceAnswer, RaceMessage } from "./_worker_race.ts";
import { runWorkers } from "./_run_workers.ts";

const ATTEMPTS = 2000;

Deno.test("WorkerHeap: a remote free racing the owner's free of a large block is refused, and frees nothing later", async () => {
  using pages = new SharedPages({ reserve: 2 ** 24 });
  const box = new SharedArrayBuffer(16);
  const [a, b] = await runWorkers<RaceMessage, RaceAnswer>(
    new URL("./_worker_race.ts", import.meta.url),
    (["A", "B"] as const).map((role) => ({
      handle: pages.handle,
      role,
      box,
      attempts: ATTEMPTS,
    })),
    60_000,
  );
  assert.equal(a.freedLive, 0, "a collect freed a live block");
  assert.equal(a.bytesUsed, 0);
  // Each of B's frees that did not throw was refused by A (one refused both
  // ways is counted by A too).
  assert.ok(
    b.accepted <= a.refused,
    `${b.accepted} remote frees accepted, ${a.refused} refused by the owner`,
  );
  assert.ok(a.refused <= ATTEMPTS);
  assert.equal(pages.liveBytes, 0);
});
