// Cases that kill single-line mutants of the page sources the other tests
// left alive (see the mutation run of issue 21). Each case is a list of page
// allocations and frees on a fresh BufferPages and the exact addresses and
// counters expected afterwards.
import assert from "node:assert/strict";
import { BufferPages, OutOfMemoryError, SharedPages } from "../os/mod.ts";

const P = 4096;

type Op = ["alloc", string, number] | ["free", string] | ["purge"];

interface Case {
  name: string;
  ops: Op[];
  ptr: Record<string, number>;
  live: number;
  freeRuns: number;
}

const cases: Case[] = [
  {
    name:
      "a freed 32-page run is found in its exact bin before a later freed 33-page run",
    ops: [
      ["alloc", "a", 32 * P],
      ["alloc", "guard1", P],
      ["alloc", "b", 33 * P],
      ["alloc", "guard2", P],
      ["free", "a"],
      ["free", "b"], // first in the 32..39-page bin
      ["alloc", "c", 32 * P],
    ],
    ptr: { a: P, b: 34 * P, c: P },
    live: 34 * P,
    freeRuns: 1,
  },
  {
    name: "a purged run at the top lowers the top to its start",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", 2 * P],
      ["free", "b"],
      ["purge"], // b's pages are clean now, and the top comes down to them
      ["alloc", "c", 3 * P],
    ],
    ptr: { a: P, b: 2 * P, c: 2 * P },
    live: 4 * P,
    freeRuns: 0,
  },
];

for (const c of cases) {
  Deno.test(`BufferPages: ${c.name}`, () => {
    const pages = new BufferPages({ reserve: 2 ** 24 });
    const ptr: Record<string, number> = {};
    const size: Record<string, number> = {};
    for (const op of c.ops) {
      if (op[0] === "alloc") {
        ptr[op[1]] = pages.alloc(op[2]);
        size[op[1]] = op[2];
      } else if (op[0] === "free") pages.free(ptr[op[1]], size[op[1]]);
      else pages.purge();
    }
    for (const [name, want] of Object.entries(c.ptr)) {
      assert.equal(ptr[name], want, name);
    }
    assert.equal(pages.liveBytes, c.live);
    assert.equal(pages.freeRuns, c.freeRuns);
    pages.destroy();
  });
}

interface ShrinkCase {
  name: string;
  oldSize: number;
  newSize: number;
  /** The bytes written 0xff before the resize, from the start. */
  written: number;
  /** The bytes expected nonzero after it, from the start. */
  kept: number;
}

// Every byte past the size must read zero, so that a later growth in place
// hands out zeroed memory.
const shrinks: ShrinkCase[] = [
  {
    name: "shrinking within a page zeroes the cut bytes",
    oldSize: 100,
    newSize: 50,
    written: 100,
    kept: 50,
  },
  {
    name: "shrinking 3 pages to 1 zeroes the rest of the kept page",
    oldSize: 3 * P,
    newSize: 10,
    written: P,
    kept: 10,
  },
];

for (const c of shrinks) {
  Deno.test(`BufferPages resize: ${c.name}`, () => {
    const pages = new BufferPages({ reserve: 2 ** 24 });
    const a = pages.alloc(c.oldSize);
    const u8 = pages.memory.u8;
    u8.fill(0xff, a, a + c.written);
    assert.equal(pages.resize(a, c.oldSize, c.newSize), a);
    const nonzero = u8.subarray(a, a + P).findLastIndex((b) => b !== 0) + 1;
    assert.equal(nonzero, c.kept);
    pages.destroy();
  });
}

interface RefusedCase {
  name: string;
  size: number;
  error: new (...args: never[]) => Error;
  message: string;
}

// A fresh 1 MiB BufferPages: page 0 is never handed out, so the reservation
// itself is a valid size that does not fit.
const refused: RefusedCase[] = [
  {
    name: "a size equal to the reservation is a valid size that does not fit",
    size: 2 ** 20,
    error: OutOfMemoryError,
    message:
      "Out of memory: no run of 256 free page(s) for 1048576 bytes in a reservation of 1048576 bytes (0 live); reserve more",
  },
  {
    name: "one byte over the reservation is a bad size",
    size: 2 ** 20 + 1,
    error: RangeError,
    message:
      "Size 1048577 exceeds the page source's reservation of 1048576 bytes",
  },
];

for (const c of refused) {
  Deno.test(`BufferPages alloc: ${c.name}`, () => {
    const pages = new BufferPages({ reserve: 2 ** 20 });
    assert.throws(() => pages.alloc(c.size), (e: Error) => {
      assert.equal(e.constructor, c.error);
      assert.equal(e.message, c.message);
      return true;
    });
    assert.equal(pages.liveBytes, 0);
    assert.equal(pages.alloc(4096), P);
    pages.destroy();
  });
}

Deno.test("SharedPages: the 1024th instance on one handle is refused", () => {
  const first = new SharedPages({ reserve: 2 ** 20 });
  const attached = [];
  for (let i = 1; i < 1023; i++) {
    attached.push(SharedPages.attach(first.handle));
  }
  assert.throws(
    () => SharedPages.attach(first.handle),
    (e: Error) => {
      assert.equal(e.constructor, RangeError);
      assert.equal(
        e.message,
        "Too many instances on one SharedPages handle (at most 1023): attach once per worker, and close() the instance of a worker that is done",
      );
      return true;
    },
  );
  // The refused attach took nothing: the last instance still allocates.
  assert.equal(attached[attached.length - 1].alloc(1), P);
  first.destroy();
});
