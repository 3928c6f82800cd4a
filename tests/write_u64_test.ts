// internal/bytes.ts's writeU64 (arena block headers): 8 little-endian bytes
// at any offset, the high word included (a value above 2^32 — pointers are
// below it, so the arena's own tests never reach it), neighbours untouched.
import assert from "node:assert/strict";
import { writeU64 } from "../internal/bytes.ts";

const rows: [string, number, number, number[]][] = [
  ["zero", 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]],
  ["below 2^32, unaligned", 3, 0x89abcdef, [
    0xef,
    0xcd,
    0xab,
    0x89,
    0,
    0,
    0,
    0,
  ]],
  ["2^32 exactly", 1, 2 ** 32, [0, 0, 0, 0, 1, 0, 0, 0]],
  ["48 bits", 5, 0x0123_4567_89ab, [0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0]],
  ["2^53 - 1", 7, 2 ** 53 - 1, [255, 255, 255, 255, 255, 255, 0x1f, 0]],
];

for (const [name, at, value, bytes] of rows) {
  Deno.test(`writeU64: ${name}`, () => {
    const u8 = new Uint8Array(24).fill(0xaa);
    writeU64(u8, at, value);
    assert.deepEqual([...u8.subarray(at, at + 8)], bytes);
    assert.ok(u8.subarray(0, at).every((b) => b === 0xaa), "before");
    assert.ok(u8.subarray(at + 8).every((b) => b === 0xaa), "after");
    const read = new DataView(u8.buffer).getBigUint64(at, true);
    assert.equal(read, BigInt(value));
  });
}
