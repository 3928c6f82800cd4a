// DebugAllocator cases that kill single-line mutants the other tests left
// alive (the mutation run of issue 21): the bounds of the junk byte.
import assert from "node:assert/strict";
import { DebugAllocator } from "../debug/mod.ts";
import { BufferPages } from "../os/mod.ts";

// Each junk value and the bytes a freed 32-byte block holds, or the error.
const junks: [junk: number, error?: string][] = [
  [0],
  [255],
  [256, "Junk must be a byte, 0 to 255, got 256"],
];

for (const [junk, error] of junks) {
  Deno.test(`DebugAllocator junk ${junk}: ${error ?? "freed bytes hold it"}`, () => {
    using pages = new BufferPages({ reserve: 2 ** 20 });
    if (error !== undefined) {
      assert.throws(
        () => new DebugAllocator({ parent: pages, junk }),
        (e: Error) => {
          assert.equal(e.constructor, RangeError);
          assert.equal(e.message, error);
          return true;
        },
      );
      return;
    }
    const debug = new DebugAllocator({ parent: pages, junk });
    assert.equal(debug.junk, junk);
    const p = debug.alloc(32);
    debug.free(p, 32); // held in quarantine, filled with the junk byte
    assert.deepEqual(
      [...pages.memory.u8.subarray(p, p + 32)],
      Array(32).fill(junk),
    );
  });
}
