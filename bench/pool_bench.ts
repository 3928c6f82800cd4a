/**
 * `deno bench --allow-ffi bench/pool_bench.ts`: one alloc+free pair of a
 * 24-byte block from a Pool (zeroed, and `allocUnsafe`), beside the floor —
 * a bare free list in an Int32Array, no checks — and the same pair on a
 * Heap. The zeroed pool row runs twice: on a pool in a module's `const`,
 * which V8 knows while it compiles (it folds the pool's fixed fields into
 * the code), and on one read from an array, which it does not (the fields
 * are loads). Each pair writes the block's first word, as a user would.
 * Each bench call runs 1000 pairs (the harness costs more than one), so the
 * time shown is per 1000 pairs: divide by 1000 for one.
 *
 * The second group drops 2^18 live 24-byte blocks at once with
 * `Pool.reset()`, beside freeing each, and a floor: one `Uint16Array.fill`
 * of 2^18 entries (the pool's own table fill is of that size). Only the
 * drop is timed, not the allocations before it.
 *
 * The third group reads and writes two f64 fields (x += vx) of 10^6
 * records of a `defineRecord` layout on a Pool, through a cursor, beside
 * the same loop with the layout's offsets written by hand (the baseline).
 *
 * `deno run --allow-ffi bench/pool_bench.ts` times the pair rows instead in
 * 60 rounds taken in turn (100 calls a round) and prints each row's fastest
 * round, per pair, and the median of its rounds' ratios to the floor's round
 * just before: on a shared machine, steadier than the bench's averages.
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";
import { Particle } from "./_particle.ts";

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
function floorPairs(): void {
  for (let n = 0; n < N; n++) {
    const i = head;
    head = links[i];
    floorF64[i * 3] = n;
    links[i] = head;
    head = i;
    sink += i;
  }
  if (sink < 0) throw new Error("unreachable");
}
Deno.bench(
  "Int32Array free list (floor)",
  { group: GROUP, baseline: true },
  floorPairs,
);

const pool = new Pool({ blockSize: 24 });
const pf64 = pool.memory.f64;
function poolPairs(): void {
  for (let n = 0; n < N; n++) {
    const p = pool.alloc();
    pf64[p / 8] = 1;
    pool.free(p);
  }
}
Deno.bench("Pool alloc+free", { group: GROUP }, poolPairs);

function poolUnsafePairs(): void {
  for (let n = 0; n < N; n++) {
    const p = pool.allocUnsafe();
    pf64[p / 8] = 1;
    pool.free(p);
  }
}
Deno.bench("Pool allocUnsafe+free", { group: GROUP }, poolUnsafePairs);

// The same pairs on a pool V8 does not know while it compiles (read from an
// array, not a module's const): its fields are loads, not constants folded
// into the code, as in a pool passed around or kept in an object.
const pools = [pool];
function poolPairsUnknown(): void {
  const p = pools[0];
  for (let n = 0; n < N; n++) {
    const q = p.alloc();
    pf64[q / 8] = 1;
    p.free(q);
  }
}
Deno.bench(
  "Pool alloc+free, the pool not known",
  { group: GROUP },
  poolPairsUnknown,
);

const heap = new Heap({ pages: new OsPages() });
const hf64 = heap.memory.f64;
function heapPairs(): void {
  for (let n = 0; n < N; n++) {
    const p = heap.alloc(24);
    hf64[p / 8] = 1;
    heap.free(p, 24);
  }
}
Deno.bench("Heap alloc+free", { group: GROUP }, heapPairs);

const RESET = "dropping 2^18 live 24-byte blocks";
const LIVE = 2 ** 18;
const dropped = new Pool({ blockSize: 24 });
const live = new Int32Array(LIVE);
const fillLive = () => {
  for (let i = 0; i < LIVE; i++) live[i] = dropped.allocUnsafe();
};
const marks = new Uint16Array(LIVE);
// A fixed count: every call first allocates the 2^18 blocks, untimed.
const DROPS = { n: 40, warmup: 5 };
Deno.bench({
  name: "Uint16Array.fill of 2^18 (floor)",
  group: RESET,
  baseline: true,
  ...DROPS,
  fn: (b) => {
    b.start();
    marks.fill(1);
    b.end();
  },
});
Deno.bench({
  name: "Pool.reset()",
  group: RESET,
  ...DROPS,
  fn: (b) => {
    fillLive();
    b.start();
    dropped.reset();
    b.end();
  },
});
Deno.bench({
  name: "Pool free of each block",
  group: RESET,
  ...DROPS,
  fn: (b) => {
    fillLive();
    b.start();
    for (let i = 0; i < LIVE; i++) dropped.free(live[i]);
    b.end();
  },
});

const RECORDS = "10^6 records: x += vx (two f64 fields)";
const particles = Particle.pool();
const ptrs = new Int32Array(1_000_000);
for (let i = 0; i < ptrs.length; i++) ptrs[i] = particles.alloc();
const cursor = Particle.cursor(particles.memory);
const rf64 = particles.memory.f64;
const X = Particle.offsets.x / 8, VX = Particle.offsets.vx / 8;
Deno.bench("hand-computed offsets", { group: RECORDS, baseline: true }, () => {
  for (let i = 0; i < ptrs.length; i++) {
    const w = ptrs[i] / 8;
    rf64[w + X] += rf64[w + VX] + 1;
  }
});

Deno.bench("record cursor", { group: RECORDS }, () => {
  const c = cursor;
  for (let i = 0; i < ptrs.length; i++) {
    c.ptr = ptrs[i];
    c.x += c.vx + 1;
  }
});

if (import.meta.main) {
  const rows: [string, () => void][] = [
    ["Int32Array free list (floor)", floorPairs],
    ["Pool alloc+free", poolPairs],
    ["Pool allocUnsafe+free", poolUnsafePairs],
    ["Pool alloc+free, the pool not known", poolPairsUnknown],
    ["Heap alloc+free", heapPairs],
  ];
  const CALLS = 100;
  const ns = rows.map((): number[] => []);
  for (let round = 0; round < 60; round++) {
    rows.forEach(([, pairs], r) => {
      const started = performance.now();
      for (let c = 0; c < CALLS; c++) pairs();
      ns[r].push((performance.now() - started) * 1e6 / (CALLS * N));
    });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  rows.forEach(([name], r) => {
    console.log(JSON.stringify({
      name,
      fastestNsPerPair: +Math.min(...ns[r]).toFixed(2),
      vsFloor: +median(ns[r].map((t, i) => t / ns[0][i])).toFixed(2),
    }));
  });
}
