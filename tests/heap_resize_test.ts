// The heap's resize and realloc, as a table (tests/_heap_cases.ts runs it).
import assert from "node:assert/strict";
import type { Heap } from "../heap/mod.ts";
import { OutOfMemoryError } from "../os/mod.ts";
import { type HeapCase, heapTables, SEG, SELF } from "./_heap_cases.ts";

// The smallest alignment from 16384 up that the native address of `ptr`
// lacks (it depends on where the page source's memory starts).
const lacked = (heap: Heap, ptr: number): number => {
  const address = heap.memory.address ?? 0n;
  let alignment = 16384;
  while ((address + BigInt(ptr)) % BigInt(alignment) === 0n) alignment *= 2;
  return alignment;
};

/** The heap's resize rules, one case each. */
const resizing: HeapCase[] = [
  {
    // Kills `zeroFrom & ~15` -> `zeroFrom` in Heap#allocFor: a move into a
    // reused chunk zeroes from the kept size's 16-byte step down.
    name:
      "large shrunk into a reused dirty chunk: bytes past those kept are zero",
    ops: [
      ["alloc", "keep", 100], // keeps class 128's span partial
      ["alloc", "a", 128],
      ["fill", "a", 0xee],
      ["freeUnsized", "a"],
      ["alloc", "big", 5000],
      ["fill", "big", 0x44],
      ["resize", "b", "big", 100], // moves into a's chunk, keeps 100 bytes
    ],
    expect: {
      same: [["a", "b"]],
      bytes: [["b", 0, 100, 0x44], ["b", 100, 128, 0]],
      used: 128 + 128,
      large: 0,
      kept: 8192,
    },
  },
  {
    name: "resize of null allocates",
    ops: [["resize", "a", "0", 100]],
    expect: { kind: [["a", 128]], used: 128, chunkZero: ["a"] },
  },
  {
    name: "realloc of null allocates",
    ops: [["realloc", "a", "0", 3000]],
    expect: { kind: [["a", "large", 4096]], used: 3000 },
  },
  {
    name: "resize to 0 frees and returns null",
    ops: [["alloc", "a", 100], ["resize", "b", "a", 0]],
    expect: { ptr: { b: 0 }, used: 0, spans: 0, empty: 15 },
  },
  {
    name: "realloc of a large block to 0 frees it",
    ops: [["alloc", "a", 9000], ["realloc", "b", "a", 0]],
    // Its three pages are kept for the next block of three.
    expect: {
      ptr: { b: 0 },
      used: 0,
      large: 0,
      kept: 12288,
      reserved: SELF + 12288,
    },
  },
  {
    name: "small, same class, shrinking: same pointer, tail zeroed",
    ops: [["alloc", "a", 48], ["fill", "a", 0x11], ["resize", "b", "a", 33]],
    expect: {
      same: [["a", "b"]],
      used: 48,
      bytes: [["b", 0, 33, 0x11], ["b", 33, 48, 0]],
    },
  },
  {
    name: "small, same class, growing: same pointer, new bytes zero",
    ops: [
      ["alloc", "a", 40],
      ["fill", "a", 0x22],
      ["resize", "b", "a", 34],
      ["realloc", "c", "b", 48],
    ],
    expect: {
      same: [["a", "c"]],
      bytes: [["c", 0, 34, 0x22], ["c", 34, 48, 0]],
    },
  },
  {
    name: "small to a larger class moves and keeps the bytes",
    ops: [["alloc", "a", 40], ["fill", "a", 0x33], ["resize", "b", "a", 100]],
    expect: {
      differ: [["a", "b"]],
      used: 128,
      kind: [["b", 128]],
      bytes: [["b", 0, 40, 0x33], ["b", 40, 128, 0]],
    },
  },
  {
    name: "small to a smaller class moves and keeps min(class, new) bytes",
    ops: [["alloc", "a", 100], ["fill", "a", 0x44], ["realloc", "b", "a", 20]],
    expect: {
      differ: [["a", "b"]],
      used: 32,
      bytes: [["b", 0, 20, 0x44], ["b", 20, 32, 0]],
    },
  },
  {
    name: "small to large moves",
    ops: [["alloc", "a", 2016], ["fill", "a", 0x55], [
      "resize",
      "b",
      "a",
      3000,
    ]],
    expect: {
      differ: [["a", "b"]],
      used: 3000,
      large: 1,
      spans: 0,
      bytes: [["b", 0, 2016, 0x55], ["b", 2016, 3000, 0]],
    },
  },
  {
    name:
      "large, shrinking but still large: same pointer, and the cut bytes read as zero when it grows back",
    ops: [
      ["alloc", "a", 6000],
      ["fill", "a", 0x66],
      ["resize", "b", "a", 3000],
      ["resize", "c", "b", 8144],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"]],
      used: 8144,
      reserved: SELF + 8192,
      bytes: [["c", 0, 3000, 0x66], ["c", 3000, 8144, 0]],
    },
  },
  {
    name:
      "a large block on freed pages is zero up to its capacity; a shrink keeps its own bytes, zeroed when it grows over them",
    ops: [
      ["alloc", "a", 8000],
      ["alloc", "guard", 64],
      ["fill", "a", 0x66],
      ["freeUnsized", "a"],
      ["alloc", "b", 4100], // a's two pages, zeroed whole
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.memory.u8[ptr.b + 4100], 0);
        assert.equal(heap.memory.u8[ptr.b + 8191], 0);
      }],
      ["fill", "b", 0x77],
      ["resize", "c", "b", 3000],
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.memory.u8[ptr.c + 4099], 0x77); // its own, kept
      }],
      ["resize", "d", "c", 8000],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"], ["c", "d"]],
      bytes: [["d", 0, 3000, 0x77], ["d", 3000, 5000, 0]],
      reserved: SELF + SEG + 8192,
    },
  },
  {
    name: "a large block made of freed pages is zero for its size",
    ops: [
      ["alloc", "a", 8000],
      ["alloc", "guard", 64],
      ["fill", "a", 0x66],
      ["freeUnsized", "a"],
      ["trim"], // the kept run goes to the page source, freed pages there
      ["alloc", "b", 4000],
      ["resize", "c", "b", 8000],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"]],
      bytes: [["b", 0, 8000, 0]],
    },
  },
  {
    name: "large, growing within its capacity: same pointer",
    ops: [["alloc", "a", 2100], ["fill", "a", 0x67], [
      "realloc",
      "b",
      "a",
      4048,
    ]],
    expect: {
      same: [["a", "b"]],
      used: 4048,
      reserved: SELF + 4096,
      bytes: [["b", 0, 2100, 0x67], ["b", 2100, 4048, 0]],
    },
  },
  {
    name: "large, growing past its capacity with live pages after it: moves",
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "z", 5000], // right after a
      ["fill", "a", 0x68],
      ["resize", "b", "a", 9000],
    ],
    expect: {
      differ: [["a", "b"]],
      used: 9000 + 5000,
      large: 2,
      kept: 8192, // a's run
      reserved: SELF + 12288 + 8192 + 8192,
      peak: SELF + 8192 + 8192 + 12288,
      bytes: [["b", 0, 5000, 0x68], ["b", 5000, 12288 - 48, 0]],
    },
  },
  {
    name: "large, growing past its capacity into free pages: same pointer",
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "z", 5000], // right after a
      ["alloc", "y", 5000], // keeps z's pages from merging with the top
      ["fill", "a", 0x68],
      ["fill", "z", 0x6a],
      ["freeUnsized", "z"],
      ["trim"], // z's run goes from the heap's cache to the page source
      ["resize", "b", "a", 9000],
    ],
    expect: {
      same: [["a", "b"]],
      used: 9000 + 5000,
      large: 2,
      reserved: SELF + 12288 + 8192,
      peak: SELF + 3 * 8192,
      bytes: [["b", 0, 5000, 0x68], ["b", 5000, 12288 - 48, 0]],
      kind: [["b", "large", 12288]],
    },
  },
  {
    name:
      "large, growing past its capacity at the top of the range: same pointer",
    ops: [["alloc", "a", 5000], ["fill", "a", 0x68], [
      "realloc",
      "b",
      "a",
      9000,
    ]],
    expect: {
      same: [["a", "b"]],
      used: 9000,
      large: 1,
      reserved: SELF + 12288,
      peak: SELF + 12288,
      bytes: [["b", 0, 5000, 0x68], ["b", 5000, 12288 - 48, 0]],
      kind: [["b", "large", 12288]],
    },
  },
  {
    name: "large to small moves",
    ops: [["alloc", "a", 5000], ["fill", "a", 0x69], [
      "resize",
      "b",
      "a",
      100,
    ]],
    expect: {
      differ: [["a", "b"]],
      used: 128,
      large: 0,
      spans: 1,
      kept: 8192,
      reserved: SELF + SEG + 8192,
      bytes: [["b", 0, 100, 0x69], ["b", 100, 128, 0]],
    },
  },
  {
    name: "a moving resize that runs out of memory leaves the old block",
    // Page 0, the heap, 2 pages for 5000, one for b (after a, so that a
    // cannot grow in place) and one free; 9000 needs 3.
    reserve: 6 * 4096,
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "b", 4096],
      ["fill", "a", 0x70],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 5000, 9000),
        OutOfMemoryError,
        null,
        /Out of memory.*9000 bytes/,
      ],
    ],
    expect: { used: 5000 + 4096, large: 2, bytes: [["a", 0, 5000, 0x70]] },
    skipClosing: true, // no room for a segment
  },
  // glibc never fails a shrink, and Lua raises a memory error on a failed
  // one (luaM_shrinkvector): with no room for a chunk's segment, a large
  // block resized to a chunk's size within its capacity stays where it is.
  {
    name:
      "large shrunk to a chunk's size with no room for a segment: stays, a large block of the new size",
    reserve: 4 * 4096, // page 0, the heap, 2 pages for 5000: no segment
    ops: [
      ["alloc", "a", 5000],
      ["fill", "a", 0x71],
      ["resize", "b", "a", 100], // a chunk's size: the move finds no room
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.usableSize(ptr.b), 8192);
        assert.equal(heap.bytesUsed, 100);
        heap.validate();
      }],
      ["resize", "c", "b", 16],
      ["realloc", "d", "c", 3000], // grows back within its capacity
      ["call", ({ heap }) => {
        assert.equal(heap.bytesUsed, 3000);
        heap.validate();
      }],
      ["realloc", "e", "d", 20], // realloc too
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.usableSize(ptr.e), 8192);
        heap.validate();
        heap.free(ptr.e, 20);
        assert.equal(heap.bytesUsed, 0);
        heap.validate();
      }],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"]],
      bytes: [["d", 0, 16, 0x71], ["d", 16, 3000, 0]],
      used: 0,
      large: 0,
      spans: 0,
      segments: 0,
    },
    skipClosing: true, // no room for a segment
  },
  {
    name:
      "large shrunk with an alignment its address has, no room for a segment: stays",
    reserve: 4 * 4096,
    ops: [
      ["alloc", "a", 5000],
      ["let", "b", ({ heap, ptr }) => heap.resize(ptr.a, 5000, 100, 64)],
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.usableSize(ptr.b), 8192);
        heap.validate();
      }],
    ],
    expect: {
      same: [["a", "b"]],
      used: 100,
      large: 1,
      spans: 0,
      kind: [["b", "large", 8192]],
    },
    skipClosing: true,
  },
  {
    name:
      "large shrunk with an alignment its address lacks, no room: throws, the block is untouched",
    // Page 0, the heap, a's 2 pages and a page `pad` fill the reservation.
    // Where page 2's real address has 64 KiB alignment (an OsPages mapping
    // may), pad comes first, so that a's lacks 16384 bytes' alignment.
    reserve: 5 * 4096,
    ops: [
      ["call", (env) => {
        const page2 = (env.heap.memory.address ?? 0n) + 2n * 4096n;
        const padFirst = page2 % 65536n === 0n;
        if (padFirst) env.ptr.pad = env.heap.alloc(4096);
        env.ptr.a = env.heap.alloc(5000);
        env.size.a = 5000;
        if (!padFirst) env.ptr.pad = env.heap.alloc(4096);
        env.size.pad = 4096;
      }],
      ["fill", "a", 0x72],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 5000, 100, lacked(heap, ptr.a)),
        OutOfMemoryError,
        null,
        /^Out of memory: the page source has no room for a block of 4096 bytes, aligned to (16384|32768|65536), to hold 100 bytes \(the heap reserves 16384 bytes\); use a page source with a larger reserve$/,
      ],
    ],
    expect: {
      used: 5000 + 4096,
      large: 2,
      kind: [["a", "large", 8192]],
      bytes: [["a", 0, 5000, 0x72]],
    },
    skipClosing: true,
  },
];

heapTables([
  ["resize", resizing],
]);
