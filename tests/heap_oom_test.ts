// Memory the heap keeps for speed (empty segments, kept empty spans, the
// medium cache's runs) never makes an allocation fail: when the page source
// has no room, the heap gives all of it back and tries once more. Each case
// runs on a 40-page reservation: page 0 (null), the heap's own page, and 38
// pages that the case fills exactly before the request.
import assert from "node:assert/strict";
import { OutOfMemoryError } from "../os/mod.ts";
import {
  type HeapCase,
  heapTables,
  type Op,
  SEG,
  SELF,
} from "./_heap_cases.ts";

const PAGE = 4096;
const RESERVE = 40 * PAGE;

/** The pointer `name` is the one at page `page`. */
const at = (name: string, page: number): Op => [
  "call",
  ({ ptr }) => assert.equal(ptr[name], page * PAGE, `${name}'s address`),
];

/** validate() is clean (where the closing alloc would find no room). */
const validated: Op = ["call", ({ heap }) => heap.validate()];

const giveBack: HeapCase[] = [
  {
    name: "a large block where only an empty segment is left: it goes back",
    reserve: RESERVE,
    ops: [
      ["alloc", "s", 16], // a segment: pages 2–17
      ["alloc", "b", 22 * PAGE], // pages 18–39: the reservation is full
      ["free", "s"], // the segment is empty, kept
      ["alloc", "c", SEG],
      at("c", 2),
      validated,
    ],
    expect: {
      used: 22 * PAGE + SEG,
      reserved: SELF + 22 * PAGE + SEG,
      segments: 0,
      spans: 0,
      large: 2,
      kept: 0,
      pagesLive: SELF + 22 * PAGE + SEG,
      chunkZero: ["c"],
    },
    skipClosing: true, // full: the closing alloc finds no room
  },
  {
    name: "a growing resize over a kept run grows in place, its bytes kept",
    reserve: RESERVE,
    ops: [
      ["alloc", "a", PAGE], // page 2
      ["alloc", "b", 4 * PAGE], // pages 3–6
      ["alloc", "x", 33 * PAGE], // pages 7–39
      ["free", "b"], // kept by the medium cache
      ["fill", "a", 0x42],
      ["resize", "a2", "a", 5 * PAGE],
      validated,
    ],
    expect: {
      same: [["a", "a2"]],
      used: 5 * PAGE + 33 * PAGE,
      reserved: SELF + 5 * PAGE + 33 * PAGE,
      large: 2,
      kept: 0,
      kind: [["a2", "large", 5 * PAGE]],
      bytes: [["a2", 0, PAGE, 0x42], ["a2", PAGE, 5 * PAGE, 0]],
    },
    skipClosing: true, // full: the closing alloc finds no room
  },
  {
    name: "a small allocation while the cache holds every free page",
    reserve: RESERVE,
    ops: [
      ["alloc", "m0", 16 * PAGE], // pages 2–17
      ["alloc", "m1", 16 * PAGE], // pages 18–33
      ["alloc", "x", 6 * PAGE], // pages 34–39
      ["free", "m0"],
      ["free", "m1"],
      ["alloc", "s", 16],
    ],
    expect: {
      used: 6 * PAGE + 16,
      reserved: SELF + SEG + 6 * PAGE,
      segments: 1,
      spans: 1,
      large: 1,
      kept: 0,
      pagesLive: SELF + SEG + 6 * PAGE,
    },
  },
  {
    name:
      "refused even after giving back: an OutOfMemoryError, the live block as it was, the kept run given back",
    reserve: RESERVE,
    ops: [
      ["alloc", "a", 4 * PAGE], // pages 2–5
      ["alloc", "x", 34 * PAGE], // pages 6–39
      ["fill", "x", 0x5c],
      ["free", "a"], // kept
      ["call", ({ heap }) =>
        assert.throws(
          () => heap.alloc(8 * PAGE),
          (e) =>
            e instanceof OutOfMemoryError &&
            e.message ===
              `Out of memory: the page source has no room for a block of 32768 bytes to hold 32768 bytes (the heap reserves ${
                SELF + 34 * PAGE
              } bytes); use a page source with a larger reserve`,
        )],
      validated,
    ],
    expect: {
      used: 34 * PAGE,
      reserved: SELF + 34 * PAGE,
      large: 1,
      kept: 0,
      pagesLive: SELF + 34 * PAGE,
      bytes: [["x", 0, 34 * PAGE, 0x5c]],
    },
    skipClosing: true, // full: the closing alloc finds no room
  },
  {
    name:
      "a growing resize refused even after giving back: the block as it was, its bytes kept",
    reserve: RESERVE,
    ops: [
      ["alloc", "a", PAGE], // page 2
      ["alloc", "b", 4 * PAGE], // pages 3–6
      ["alloc", "x", 33 * PAGE], // pages 7–39
      ["free", "b"],
      ["fill", "a", 0x42],
      ["call", ({ heap, ptr }) =>
        assert.throws(
          () => heap.resize(ptr.a, PAGE, 10 * PAGE),
          OutOfMemoryError,
        )],
      validated,
    ],
    expect: {
      used: PAGE + 33 * PAGE,
      reserved: SELF + PAGE + 33 * PAGE,
      large: 2,
      kept: 0,
      kind: [["a", "large", PAGE]],
      bytes: [["a", 0, PAGE, 0x42]],
    },
    skipClosing: true, // full: the closing alloc finds no room
  },
  {
    name: "a size past maxSize is a RangeError: nothing is given back",
    reserve: RESERVE,
    ops: [
      ["alloc", "a", 4 * PAGE],
      ["free", "a"],
      [
        "throws",
        ({ heap }) => heap.alloc(heap.maxSize + 1),
        RangeError,
        null,
        /^Size 155649 exceeds /,
      ],
    ],
    expect: { used: 0, reserved: SELF + 4 * PAGE, kept: 4 * PAGE, large: 0 },
  },
  {
    name: "maxSize on a fresh heap: one block of every free page",
    reserve: RESERVE,
    ops: [
      ["call", (env) => {
        assert.equal(env.heap.maxSize, RESERVE - 2 * PAGE);
        env.ptr.a = env.heap.alloc(env.heap.maxSize);
        env.size.a = env.heap.maxSize;
      }],
      at("a", 2),
    ],
    expect: {
      used: RESERVE - 2 * PAGE,
      reserved: RESERVE - PAGE,
      large: 1,
      pagesLive: RESERVE - PAGE,
    },
    skipClosing: true,
  },
];

heapTables([
  ["what it keeps goes back before it runs out", giveBack],
]);
