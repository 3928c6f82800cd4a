/**
 * `deno bench bench/fill_bench.ts`: the crossover of `writeArray`
 * (`_write.ts`) for an array of its own (as `gc` and `typedarray-pool` hand
 * out): byte stores or `fill`. Where stores stop beating `fill` is
 * `ARRAY_FILL_FROM`. Blocks of a memory are written by the library's
 * `fillBytes`, whose crossover `bench/bytes_bench.ts` measures.
 *
 * @module
 */
import { BYTE } from "./_write.ts";

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
