/**
 * `deno bench --allow-ffi bench/pool_bench.ts`: one alloc+free pair of a
 * 24-byte block from a Pool (zeroed, and `allocUnsafe`), beside the floor —
 * a bare free list in an Int32Array, no checks — and the same pair on a
 * Heap. Each pair writes the block's first word, as a user would. Each
 * bench call runs 1000 pairs (the harness costs more than one), so the time
 * shown is per 1000 pairs: divide by 1000 for one.
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";

const GROUP = "1000 alloc+free pairs, 24 bytes";
const N = 1000;

// The floor: a LIFO free list of block indices in an Int32Array.
const BLOCKS = 4096;
const links = new Int32Array(BLOCKS);
for (let i = 0; i < BLOCKS; i++) links[i] = i + 1;
let head = 0;
// Read back after each run, so that the loop is not optimized away.
let sink = 0;
const floorF64 = new Float64Array(BLOCKS * 3);
Deno.bench(
  "Int32Array free list (floor)",
  { group: GROUP, baseline: true },
  () => {
    for (let n = 0; n < N; n++) {
      const i = head;
      head = links[i];
      floorF64[i * 3] = n;
      links[i] = head;
      head = i;
      sink += i;
    }
    if (sink < 0) throw new Error("unreachable");
  },
);

const pool = new Pool({ blockSize: 24 });
const pf64 = pool.memory.f64;
Deno.bench("Pool alloc+free", { group: GROUP }, () => {
  for (let n = 0; n < N; n++) {
    const p = pool.alloc();
    pf64[p / 8] = 1;
    pool.free(p);
  }
});

Deno.bench("Pool allocUnsafe+free", { group: GROUP }, () => {
  for (let n = 0; n < N; n++) {
    const p = pool.allocUnsafe();
    pf64[p / 8] = 1;
    pool.free(p);
  }
});

const heap = new Heap({ pages: new OsPages() });
const hf64 = heap.memory.f64;
Deno.bench("Heap alloc+free", { group: GROUP }, () => {
  for (let n = 0; n < N; n++) {
    const p = heap.alloc(24);
    hf64[p / 8] = 1;
    heap.free(p, 24);
  }
});
