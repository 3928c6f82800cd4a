// Bad calls to the heap (sizes, pointers, double frees, use after destroy)
// are refused and change nothing, as a table (tests/_heap_cases.ts runs it).
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import {
  BufferPages,
  DestroyedError,
  OutOfMemoryError,
  PointerError,
} from "../os/mod.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";
import {
  type Env,
  type HeapCase,
  heapTables,
  released2016,
  SEG,
  SELF,
} from "./_heap_cases.ts";

/** Everything that must be rejected, and must change nothing. */
const safety: HeapCase[] = [
  {
    name: "a pointer from the page source directly is foreign",
    ops: [
      ["alloc", "a", 64],
      ["let", "p", ({ pages }: Env) => pages.alloc(4096)],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.p),
        PointerError,
        "foreign",
        /Pointer 0x[0-9a-f]+ \(\d+\) is not an allocation of this heap/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.p, 4096, 10),
        PointerError,
        "foreign",
        /not an allocation of this heap/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.p + 48),
        PointerError,
        "foreign",
        /not an allocation of this heap/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "two heaps on one page source reject each other's pointers",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      ["call", (env) => {
        using other = new Heap({ pages: env.pages });
        const b = other.alloc(64);
        const c = other.alloc(5000);
        const both = {
          state: () => [env.heap.bytesUsed, other.bytesUsed],
          validate: () => [env.heap, other].forEach((h) => h.validate()),
        };
        for (
          const [heap, p] of [
            [env.heap, b],
            [env.heap, c],
            [other, env.ptr.a],
            [other, env.ptr.big],
          ] as const
        ) {
          assertRefusedUnchanged(both, () => heap.free(p), {
            error: PointerError,
            reason: "foreign",
            message: /not an allocation of this heap/,
          });
        }
        assert.equal(other.bytesUsed, 64 + 5000);
        assert.equal(env.heap.bytesUsed, 64 + 5000);
        other.free(b);
        other.free(c, 5000);
        assert.equal(other.bytesUsed, 0);
      }],
    ],
    expect: { used: 64 + 5000, spans: 1, large: 1 },
  },
  {
    name: "interior pointers into a chunk, a span header and a large block",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 9000],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 16),
        PointerError,
        "interior",
        /Pointer 0x[0-9a-f]+ \(\d+\) is inside the span of 64-byte chunks at 0x[0-9a-f]+ \(\d+\) but not at the start of a chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a - 48),
        PointerError,
        "interior",
        /not at the start of a chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a + 32, 64, 8),
        PointerError,
        "interior",
        /not at the start of a chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big + 16),
        PointerError,
        "interior",
        /inside the large block at 0x[0-9a-f]+ \(\d+\) but not its start/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big + 4096),
        PointerError,
        "interior",
        /inside the large block/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.big + 48, 10),
        PointerError,
        "interior",
        /inside the large block/,
      ],
    ],
    expect: { used: 64 + 9000 },
  },
  {
    name: "a 2016-byte span's tail past its last chunk is interior",
    ops: [
      ["alloc", "a", 2016],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 2 * 2016),
        PointerError,
        "interior",
        /not at the start of a chunk/,
      ],
    ],
    expect: { used: 2016 },
  },
  {
    name: "unaligned pointers",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 1),
        PointerError,
        "unaligned",
        /Pointer 0x[0-9a-f]+ \(\d+\) is not 16-byte aligned/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a + 4, 64, 100),
        PointerError,
        "unaligned",
        /not 16-byte aligned/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big + 8),
        PointerError,
        "unaligned",
        /not 16-byte aligned/,
      ],
      [
        // Kills `(ptr & -16)` -> `(ptr & -8)` in Heap#free: 8 past a chunk's
        // start shares its bitmap bit.
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 8),
        PointerError,
        "unaligned",
        /Pointer 0x[0-9a-f]+ \(\d+\) is not 16-byte aligned/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 8, 64),
        PointerError,
        "unaligned",
        /not 16-byte aligned/,
      ],
    ],
    expect: { used: 64 + 5000 },
  },
  {
    name: "double free into a live span",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "b", 64],
      ["freeUnsized", "a"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /Pointer 0x[0-9a-f]+ \(\d+\) is a free chunk of the span of 64-byte chunks at 0x[0-9a-f]+ \(\d+\): double free/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 64, 128),
        PointerError,
        "double-free",
        /double free/,
      ],
    ],
    expect: { used: 64, spans: 1 },
  },
  {
    name: "a never-allocated chunk of a live span is free",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 64),
        PointerError,
        "double-free",
        /free chunk.*never allocated/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "double free into a released span",
    ops: [
      ...released2016,
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a0),
        PointerError,
        "double-free",
        /Pointer 0x[0-9a-f]+ \(\d+\) is in the span at 0x[0-9a-f]+ \(\d+\), which has been released.*double free/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.a1, 10),
        PointerError,
        "double-free",
        /released/,
      ],
    ],
    expect: { used: 2016, spans: 1, empty: 14 },
  },
  {
    name: "double free into a kept empty span",
    ops: [
      ["alloc", "a", 64],
      ["freeUnsized", "a"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /Pointer 0x[0-9a-f]+ \(\d+\) is a free chunk of the span of 64-byte chunks at 0x[0-9a-f]+ \(\d+\): double free/,
      ],
    ],
    expect: { used: 0, spans: 0, empty: 15 },
  },
  {
    name: "double free of a large block",
    ops: [
      ["alloc", "a", 5000],
      ["freeUnsized", "a"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /large block that has been freed already: double free/,
      ],
    ],
    // Kept by the heap's cache, and refused all the same.
    expect: { used: 0, large: 0, kept: 8192, reserved: SELF + 8192 },
  },
  {
    name: "pointers into the heap's header pages",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap, ptr }) =>
          heap.free(Math.floor(ptr.a / 4096) * 4096 - 4096 + 48),
        PointerError,
        "foreign",
        /header page of this heap/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "pointers outside the memory",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap }) => heap.free(heap.memory.byteLength + 48),
        PointerError,
        "out-of-range",
        /outside the memory/,
      ],
      [
        "throws",
        ({ heap }) => heap.free(-16),
        PointerError,
        "out-of-range",
        /Pointer -16 is not a non-negative integer/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 0.5),
        PointerError,
        "out-of-range",
        /is not a non-negative integer/,
      ],
      [
        "throws",
        ({ heap }) => heap.free(NaN),
        PointerError,
        "out-of-range",
        /Pointer NaN is not a non-negative integer/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "sizes that do not match the allocation",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, 65),
        PointerError,
        "size-mismatch",
        /Size 65 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a 64-byte chunk/,
      ],
      [
        "throws",
        // One below the class's smallest request (49..64 go to class 64).
        ({ heap, ptr }) => heap.free(ptr.a, 48),
        PointerError,
        "size-mismatch",
        /Size 48 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a 64-byte chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, 5000),
        PointerError,
        "size-mismatch",
        /a 64-byte chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.big, 5001, 10),
        PointerError,
        "size-mismatch",
        /Size 5001 does not match .* a large block of 5000 bytes/,
      ],
      ["free", "a"],
      ["call", ({ heap, ptr }) => heap.free(ptr.big, 5000)],
    ],
    expect: { used: 0, large: 0 },
  },
  {
    name: "impossible sizes are range errors",
    ops: [
      ["alloc", "a", 64],
      ["fill", "a", 0x5a],
      [
        "throws",
        ({ heap }) => heap.alloc(-1),
        RangeError,
        null,
        /Size must be a non-negative integer, got -1/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(1.5),
        RangeError,
        null,
        /non-negative integer, got 1.5/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(NaN),
        RangeError,
        null,
        /non-negative integer, got NaN/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(2 ** 40),
        RangeError,
        null,
        /Size 1099511627776 exceeds the largest allocation this page source can hold/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc("8" as unknown as number),
        TypeError,
        null,
        /Size must be a number, got string/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 64, -5),
        RangeError,
        null,
        /non-negative integer, got -5/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.a, 2 ** 40),
        RangeError,
        null,
        /exceeds/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, -64, 8),
        RangeError,
        null,
        /Old size must be a non-negative integer/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, undefined as never, 8),
        TypeError,
        null,
        /^Old size must be a number, got undefined/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, NaN),
        RangeError,
        null,
        /non-negative integer, got NaN/,
      ],
      // Fractional sizes in the chunk's class range too (49..64, 0..16).
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, 63.5),
        RangeError,
        null,
        /^Size must be a non-negative integer, got 63.5$/,
      ],
      ["alloc", "b", 10],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.b, 1e-9),
        RangeError,
        null,
        /^Size must be a non-negative integer, got 1e-9$/,
      ],
      ["free", "b"],
    ],
    expect: { used: 64, bytes: [["a", 0, 64, 0x5a]] },
  },
  {
    name: "out of memory for a segment and for a large block",
    reserve: 8 * 4096, // page 0, the heap, 6 pages: no room for a 16-page segment
    ops: [
      ["alloc", "a", 10000], // 3 pages
      [
        "throws",
        ({ heap }) => heap.alloc(16),
        OutOfMemoryError,
        null,
        /^Out of memory: the page source has no room for a 64 KiB segment for a 16-byte chunk \(the heap reserves 16384 bytes\); use a page source with a larger reserve$/,
      ],
      [
        "throws",
        // The chunk's size, not the size asked: the segment is for its class.
        ({ heap }) => heap.alloc(17),
        OutOfMemoryError,
        null,
        /no room for a 64 KiB segment for a 32-byte chunk/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(16000),
        OutOfMemoryError,
        null,
        /no room for a block of 16384 bytes to hold 16000 bytes/,
      ],
      ["call", ({ heap }) => {
        try {
          heap.alloc(16000);
          assert.fail("no room for 4 pages");
        } catch (e) {
          assert.ok(e instanceof OutOfMemoryError);
          assert.equal(e.requested, 16000);
        }
      }],
      ["freeUnsized", "a"], // kept by the heap's cache: 3 pages
      // No room for 4 pages but a's: the kept runs go back, and b fits.
      ["alloc", "b", 16000],
    ],
    expect: {
      used: 16000,
      large: 1,
      spans: 0,
      kept: 0,
      reserved: SELF + 16384,
    },
    skipClosing: true, // no room for the closing small allocation
  },
  {
    name: "everything after destroy() throws",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      ["call", ({ heap, pages }) => {
        heap.destroy();
        heap.destroy(); // again: nothing
        assert.equal(pages.liveBytes, 0);
        assert.equal(heap.bytesUsed, 0);
        assert.equal(heap.bytesReserved, 0);
        assert.equal(heap.peakReserved, SELF + SEG + 8192);
        heap.free(0); // null stays a no-op
      }],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        DestroyedError,
        null,
        /Heap was used after destroy\(\)/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big, 5000),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(16),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(5000),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 64, 100),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.a, 10),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap }) => heap.validate(),
        DestroyedError,
        null,
        /after destroy/,
      ],
    ],
    expect: { used: 0, reserved: 0, pagesLive: 0 },
    skipClosing: true,
  },
];

heapTables([
  ["safety", safety],
]);

Deno.test("heap: out of memory at an alignment names it, and the block's real capacity", () => {
  // 32 pages: page 16 is the one 65536-aligned page past the null page.
  using pages = new BufferPages({ reserve: 2 ** 17 });
  using heap = new Heap({ pages });
  const a = heap.alloc(3000, 65536);
  assert.equal(a, 65536);
  for (const size of [3000, 0]) {
    assert.throws(
      () => heap.alloc(size, 65536),
      new OutOfMemoryError(
        `Out of memory: the page source has no room for a block of 4096 bytes, aligned to 65536, to hold ${size} bytes (the heap reserves 8192 bytes); use a page source with a larger reserve`,
        size,
      ),
    );
  }
  // Room enough without the alignment.
  heap.free(heap.alloc(3000), 3000);
  heap.free(a, 3000);
  heap.validate();
});
