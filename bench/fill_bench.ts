/**
 * `deno bench --allow-ffi bench/fill_bench.ts`: the crossovers of `_write.ts`.
 *
 * - A block in a whole-range view (a heap's memory on native pages, 16-byte
 *   aligned as the heap hands it out): 8-byte stores (Float64Array), 4-byte
 *   stores (Uint32Array) or `Uint8Array.prototype.fill`. Where stores stop
 *   beating `fill` is `FILL_FROM`.
 * - An array of its own (as `gc` and `typedarray-pool` hand out): byte stores
 *   or `fill`. Where stores stop beating `fill` is `ARRAY_FILL_FROM`.
 *
 * Lengths that are not a multiple of 8 have a byte tail.
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";
import { BYTE, storeWords } from "./_write.ts";

const heap = new Heap({ pages: new OsPages() });
const { u8, u32, f64 } = heap.memory;
const p = heap.alloc(8192);

// The same shape as storeWords, with 4-byte words.
function storeU32(p: number, n: number): void {
  const end = p + n;
  let at = p;
  for (; at < end && at % 4 !== 0; at++) u8[at] = BYTE;
  const word = BYTE * 0x01010101;
  for (; at + 4 <= end; at += 4) u32[at / 4] = word;
  for (; at < end; at++) u8[at] = BYTE;
}

for (const n of [16, 40, 64, 100, 128, 160, 192, 256, 384, 512, 640, 4096]) {
  const group = `write ${n} bytes of a view`;
  Deno.bench(`fill ${n}`, { group, baseline: true }, () => {
    u8.fill(BYTE, p, p + n);
  });
  Deno.bench(`f64 stores ${n}`, { group }, () => {
    storeWords(u8, f64, p, n);
  });
  Deno.bench(`u32 stores ${n}`, { group }, () => {
    storeU32(p, n);
  });
}

for (const n of [8, 16, 24, 32, 48, 64]) {
  const group = `write an array of ${n} bytes`;
  // Several arrays in turn, as a backend's blocks come.
  const arrays = Array.from({ length: 64 }, () => new Uint8Array(n));
  let i = 0;
  Deno.bench(`array fill ${n}`, { group, baseline: true }, () => {
    arrays[i++ % 64].fill(BYTE);
  });
  Deno.bench(`array byte stores ${n}`, { group }, () => {
    const a = arrays[i++ % 64];
    for (let j = 0; j < a.length; j++) a[j] = BYTE;
  });
}
