/**
 * `deno bench --allow-ffi bench/replace_bench.ts`: blocks of 1 to 32 MiB
 * replaced at random in 20 slots, each written fully after it is allocated —
 * a program that keeps a few large buffers and swaps them. It shows what
 * keeping freed pages resident saves: the heap on OsPages (freed pages kept
 * for a second, `decayMs` 1000), the same with every freed page given back at
 * once (`decayMs: 0`, so every reuse faults its pages in again), and libc
 * malloc + memset through FFI.
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";
import { libc } from "./_libc.ts";
import { BYTE, writeBlock } from "./_write.ts";
import { Xorshift64Star } from "./_xorshift.ts";

const SLOTS = 20;
const MIB = 2 ** 20;
const OPTIONS = { n: 100, warmup: 20 };

/** The next slot and size, the same sequence for every backend. */
function sequence(): () => [slot: number, size: number] {
  const rng = new Xorshift64Star();
  return () => [
    Number(rng.nextBigInt() % BigInt(SLOTS)),
    MIB + Number(rng.nextBigInt() % BigInt(31 * MIB + 1)),
  ];
}

for (const decayMs of [1000, 0]) {
  const heap = new Heap({ pages: new OsPages({ decayMs }) });
  const memory = heap.memory;
  const ptrs = new Float64Array(SLOTS), sizes = new Float64Array(SLOTS);
  const next = sequence();
  Deno.bench(`heap, decayMs ${decayMs}`, {
    ...OPTIONS,
    group: "replace 1–32 MiB blocks",
    baseline: decayMs !== 0,
  }, () => {
    const [slot, size] = next();
    heap.free(ptrs[slot], sizes[slot]);
    const p = heap.alloc(size);
    writeBlock(memory, p, size);
    ptrs[slot] = p;
    sizes[slot] = size;
  });
}

const { malloc, calloc, free, memset } = libc();
for (const zeroed of [false, true]) {
  const ptrs: Deno.PointerValue[] = Array(SLOTS).fill(null);
  const next = sequence();
  Deno.bench(`${zeroed ? "calloc" : "malloc"} + memset`, {
    ...OPTIONS,
    group: "replace 1–32 MiB blocks",
  }, () => {
    const [slot, size] = next();
    const bytes = BigInt(size);
    free(ptrs[slot]);
    const p = zeroed ? calloc(1n, bytes) : malloc(bytes);
    memset(p, BYTE, bytes);
    ptrs[slot] = p;
  });
}
