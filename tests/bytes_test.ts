// The byte methods every layer uses (internal/bytes.ts): each writes exactly its
// range, whichever way it takes (word stores or the built-in), for every byte
// value — 0xff included, whose 8-byte pattern is a NaN — and every alignment.
import assert from "node:assert/strict";
import {
  COPY_BY_STORES,
  COPY_UP_TO,
  copyBytes,
  fillBytes,
  NAN_STORES_UP_TO,
  STORES_UP_TO,
  zeroBytes,
  zeroChunk,
} from "../internal/bytes.ts";
import { Memory } from "../os/memory.ts";

const memory = new Memory(new ArrayBuffer(65536));
const BASE = 4096;

// Lengths on both sides of every threshold, and short odd ones.
const LENGTHS = [
  0,
  1,
  7,
  8,
  9,
  15,
  16,
  17,
  NAN_STORES_UP_TO,
  NAN_STORES_UP_TO + 1,
  STORES_UP_TO - 1,
  STORES_UP_TO,
  STORES_UP_TO + 1,
  COPY_BY_STORES,
  COPY_BY_STORES + 4,
  // Copies: whole 64-byte steps, with a tail, at the top and past it.
  448,
  449,
  1000,
  COPY_UP_TO - 1,
  COPY_UP_TO,
  COPY_UP_TO + 1,
  COPY_UP_TO + 24,
];
// The bytes checked around a range: 16 before it, up to WINDOW - 16 from its start.
const WINDOW = COPY_UP_TO + 64;

/** Bytes [BASE − 16, BASE − 16 + WINDOW) as they should be: 0x11 but for the range. */
function expected(at: number, n: number, byte: (i: number) => number) {
  const out = new Uint8Array(WINDOW).fill(0x11);
  for (let i = 0; i < n; i++) out[at - BASE + 16 + i] = byte(i);
  return out;
}

function around(): Uint8Array {
  return memory.u8.slice(BASE - 16, BASE - 16 + WINDOW);
}

// deepEqual's diff of two 4 KiB arrays costs more than the whole table.
function assertBytes(actual: Uint8Array, wanted: Uint8Array, what: string) {
  const i = actual.findIndex((b, k) => b !== wanted[k]);
  assert.equal(
    i,
    -1,
    `${what}: byte ${i - 16} of the range is ${actual[i]}, not ${wanted[i]}`,
  );
}

Deno.test("fillBytes writes exactly its range for every byte value", () => {
  for (let value = 0; value < 256; value++) {
    for (const n of LENGTHS) {
      for (const offset of [0, 1, 3, 8]) {
        memory.u8.fill(0x11, BASE - 16, BASE - 16 + WINDOW);
        fillBytes(memory, BASE + offset, BASE + offset + n, value);
        assertBytes(
          around(),
          expected(BASE + offset, n, () => value),
          `value ${value}, ${n} bytes at +${offset}`,
        );
      }
    }
  }
});

Deno.test("zeroBytes and zeroChunk zero exactly their range", () => {
  for (const n of LENGTHS) {
    for (const offset of [0, 5]) {
      memory.u8.fill(0x11, BASE - 16, BASE - 16 + WINDOW);
      zeroBytes(memory, BASE + offset, BASE + offset + n);
      assertBytes(
        around(),
        expected(BASE + offset, n, () => 0),
        `${n} at +${offset}`,
      );
    }
    const chunk = n - (n % 16);
    memory.u8.fill(0x11, BASE - 16, BASE - 16 + WINDOW);
    zeroChunk(memory.f64, memory.u8, BASE, chunk);
    assertBytes(around(), expected(BASE, chunk, () => 0), `chunk ${chunk}`);
  }
});

Deno.test("copyBytes copies exactly its range, aligned or not", () => {
  const SRC = 32768;
  for (let i = 0; i < WINDOW; i++) memory.u8[SRC + i] = (i * 7 + 3) & 255;
  for (const n of LENGTHS) {
    for (const [d, s] of [[0, 0], [1, 0], [0, 2], [4, 8]]) {
      memory.u8.fill(0x11, BASE - 16, BASE - 16 + WINDOW);
      copyBytes(memory, BASE + d, SRC + s, n);
      assertBytes(
        around(),
        expected(BASE + d, n, (i) => ((i + s) * 7 + 3) & 255),
        `${n} bytes, dst +${d}, src +${s}`,
      );
    }
  }
});

Deno.test("fillBytes with a fractional end writes what a byte loop writes; an infinite range returns", () => {
  for (const value of [0, 0x50]) {
    memory.u8.fill(0x11, BASE - 16, BASE - 16 + WINDOW);
    fillBytes(memory, BASE, BASE + 8.5, value);
    // Bytes BASE..BASE+8: i < 8.5 takes 9 of them.
    assertBytes(around(), expected(BASE, 9, () => value), `value ${value}`);
  }
  memory.u8.fill(0x11);
  fillBytes(memory, -Infinity, -Infinity, 1);
  fillBytes(memory, NaN, 16, 1);
  assert.ok(memory.u8.every((b) => b === 0x11));
});

Deno.test("fillBytes and zeroBytes of a range whose end is before its start write nothing", () => {
  // A resize zeroes [old end, min(new end, dirty end)), which can be empty
  // backwards; the word path once took its negative length as 2^29 words.
  for (const back of [8, 16, 64, 4096, 8192]) {
    for (const value of [0, 0x50, 0xff]) {
      memory.u8.fill(0x11);
      fillBytes(memory, BASE + 8192, BASE + 8192 - back, value);
      zeroBytes(memory, BASE + 8192, BASE + 8192 - back);
      assert.ok(
        memory.u8.every((b) => b === 0x11),
        `back ${back}, value ${value}`,
      );
    }
  }
});
