// Rough timings for the arena's closing note (not a test):
//   deno run --allow-ffi tests/_arena_timing.ts
// Prints ns per arena allocation of 16 and 256 bytes (each round allocates
// 1000 times, then pops, so the pop's zeroing is included) and ns per scratch
// region begin+end (with one 16-byte allocation inside, and without).
import { Arena, scratch } from "../arena/mod.ts";

function time(name: string, rounds: number, perRound: number, fn: () => void) {
  for (let i = 0; i < rounds / 10; i++) fn(); // warm up
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) fn();
    runs.push((performance.now() - t0) * 1e6 / (rounds * perRound));
  }
  runs.sort((a, b) => a - b);
  console.log(`${name}: ${runs[2].toFixed(1)} ns (median of 5)`);
}

for (const size of [16, 256]) {
  using arena = new Arena();
  const mark = arena.mark();
  let sink = 0;
  time(`arena alloc ${size} B (+ pop per 1000)`, 2000, 1000, () => {
    for (let i = 0; i < 1000; i++) sink += arena.alloc(size);
    arena.pop(mark);
  });
  if (sink === 0) console.log(sink);
}

for (const size of [16, 256]) {
  using arena = new Arena();
  let sink = 0;
  time(`arena alloc ${size} B, never reused (1e6 per round)`, 1, 1e6, () => {
    arena.clear();
    for (let i = 0; i < 1e6; i++) sink += arena.alloc(size);
  });
  if (sink === 0) console.log(sink);
}

let sink = 0;
time("scratch begin+end (empty)", 1e6, 1, () => {
  using s = scratch();
  sink += s.arena.bytesUsed;
});
time("scratch begin+end (one 16 B alloc)", 1e6, 1, () => {
  using s = scratch();
  sink += s.alloc(16);
});
time("scratch begin+end without `using` (one 16 B alloc)", 1e6, 1, () => {
  const s = scratch();
  sink += s.alloc(16);
  s.end();
});
time("nested scratch begin+end x2 (conflict)", 5e5, 2, () => {
  using a = scratch();
  using b = scratch(a);
  sink += a.alloc(16) + b.alloc(16);
});
if (sink === 0.5) console.log(sink);
