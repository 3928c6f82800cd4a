// Arena and FixedAllocator cases that kill single-line mutants the other
// tests left alive (the mutation run of issue 21): each case a resize on a
// fresh one-page FixedAllocator and the exact result or error.
import assert from "node:assert/strict";
import { FixedAllocator } from "../arena/mod.ts";
import { BufferPages } from "../os/mod.ts";

const P = 4096;

interface ResizeCase {
  name: string;
  first: number;
  newSize: number;
  /** The offset from the region's start returned, or the error. */
  want: number | { error: new (...args: never[]) => Error; message: string };
  used: number;
}

const resizes: ResizeCase[] = [
  {
    name: "the top allocation grows in place to exactly the region's length",
    first: 16,
    newSize: P,
    want: 0,
    used: P,
  },
  {
    name: "one byte past the region's length is a bad size",
    first: 16,
    newSize: P + 1,
    want: {
      error: RangeError,
      message: "New size 4097 exceeds the fixed region's length of 4096 bytes",
    },
    used: 16,
  },
];

for (const c of resizes) {
  Deno.test(`FixedAllocator resize: ${c.name}`, () => {
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const region = pages.alloc(P);
    const fixed = new FixedAllocator({
      memory: pages.memory,
      ptr: region,
      length: P,
    });
    const a = fixed.alloc(c.first);
    assert.equal(a, region);
    if (typeof c.want === "number") {
      assert.equal(fixed.resize(a, c.first, c.newSize), region + c.want);
    } else {
      const { error, message } = c.want;
      assert.throws(() => fixed.resize(a, c.first, c.newSize), (e: Error) => {
        assert.equal(e.constructor, error);
        assert.equal(e.message, message);
        return true;
      });
    }
    assert.equal(fixed.bytesUsed, c.used);
  });
}

// The bounds of the alignment option: 2^30 is the largest accepted.
const alignments: [alignment: number, error?: string][] = [
  [2 ** 30],
  [
    2 ** 31,
    "Alignment must be a power of two from 1 to 2^30 (1 means packed), got 2147483648",
  ],
];

for (const [alignment, error] of alignments) {
  Deno.test(`FixedAllocator alignment ${alignment}: ${error ?? "accepted"}`, () => {
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const options = { memory: pages.memory, ptr: P, length: P, alignment };
    pages.alloc(P);
    if (error === undefined) {
      assert.equal(new FixedAllocator(options).alignment, alignment);
    } else {
      assert.throws(() => new FixedAllocator(options), (e: Error) => {
        assert.equal(e.constructor, RangeError);
        assert.equal(e.message, error);
        return true;
      });
    }
  });
}
