// The benchmarks' 0x50 writes cover exactly the bytes asked for, by every
// path of the library's fillBytes: unaligned heads, 8-byte words, tails that
// are not a multiple of 8, and fill past its crossover.
import assert from "node:assert/strict";
import { STORES_UP_TO } from "../../internal/bytes.ts";
import { Memory } from "../../os/mod.ts";
import { ARRAY_FILL_FROM, BYTE, writeArray, writeBlock } from "../_write.ts";

// Every start within a word, and lengths around each boundary of both paths.
const STARTS = [64, 65, 67, 71, 72];
const LENGTHS = [0, 1, 7, 8, 9, 15, 16, 17, 40, 100, STORES_UP_TO];
LENGTHS.push(STORES_UP_TO + 1, STORES_UP_TO + 7, 4096 + 5);

Deno.test("writeBlock writes exactly [p, p + n)", () => {
  for (const p of STARTS) {
    for (const n of LENGTHS) {
      const buffer = new ArrayBuffer(8192);
      writeBlock(new Memory(buffer), p, n);
      const expected = new Uint8Array(8192).fill(BYTE, p, p + n);
      assert.deepEqual(new Uint8Array(buffer), expected, `p ${p}, n ${n}`);
    }
  }
});

Deno.test("writeArray writes every byte of the array and nothing past it", () => {
  for (const n of [0, 1, ARRAY_FILL_FROM - 1, ARRAY_FILL_FROM, 100]) {
    const buffer = new Uint8Array(n + 16);
    writeArray(buffer.subarray(8, 8 + n));
    const expected = new Uint8Array(n + 16).fill(BYTE, 8, 8 + n);
    assert.deepEqual(buffer, expected, `n ${n}`);
  }
});
