/**
 * `deno bench bench/bytes_bench.ts`: the crossover of each byte method in
 * `internal/bytes.ts` — word stores through the whole-range views against the
 * TypedArray built-in — at lengths around its threshold. The thresholds there
 * are where the built-in starts to win here.
 *
 * @module
 */
const buffer = new ArrayBuffer(1 << 20);
const u8 = new Uint8Array(buffer);
const u32 = new Uint32Array(buffer);
const f64 = new Float64Array(buffer);
const at = 4096; // 16-aligned, like a heap chunk
// The double whose eight bytes are all 0xa5.
const PATTERN = new Float64Array(new Uint8Array(8).fill(0xa5).buffer)[0];
const to = 65536;

const ZEROS = new Uint8Array(8192);
const BYTES = new Uint8Array(8192).fill(0xa5);

for (
  const n of [
    16,
    32,
    64,
    96,
    128,
    160,
    192,
    256,
    384,
    512,
    576,
    2048,
    4096,
    8192,
  ]
) {
  Deno.bench(`zero ${n}: 8-byte stores`, { group: `zero ${n}` }, () => {
    for (let w = at / 8, end = (at + n) / 8; w < end; w += 2) {
      f64[w] = 0;
      f64[w + 1] = 0;
    }
  });
  Deno.bench(`zero ${n}: fill`, { group: `zero ${n}` }, () => {
    u8.fill(0, at, at + n);
  });
  const zeros = ZEROS.subarray(0, n);
  Deno.bench(`zero ${n}: copy from zeros (set)`, { group: `zero ${n}` }, () => {
    u8.set(zeros, at);
  });
  Deno.bench(`fill ${n}: 8-byte stores`, { group: `fill ${n}` }, () => {
    for (let w = at / 8, end = (at + n) / 8; w < end; w += 2) {
      f64[w] = PATTERN;
      f64[w + 1] = PATTERN;
    }
  });
  Deno.bench(`fill ${n}: 4-byte stores`, { group: `fill ${n}` }, () => {
    for (let w = at / 4, end = (at + n) / 4; w < end; w++) u32[w] = 0xa5a5a5a5;
  });
  Deno.bench(`fill ${n}: fill`, { group: `fill ${n}` }, () => {
    u8.fill(0xa5, at, at + n);
  });
  const bytes = BYTES.subarray(0, n);
  Deno.bench(`fill ${n}: copy from a buffer of the byte (set)`, {
    group: `fill ${n}`,
  }, () => {
    u8.set(bytes, at);
  });
  Deno.bench(
    `copy ${n}: 4-byte loads and stores`,
    { group: `copy ${n}` },
    () => {
      const d = to / 4, s = at / 4;
      for (let i = 0, words = n / 4; i < words; i++) u32[d + i] = u32[s + i];
    },
  );
  Deno.bench(`copy ${n}: copyWithin`, { group: `copy ${n}` }, () => {
    u8.copyWithin(to, at, at + n);
  });
}
