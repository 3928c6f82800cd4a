/**
 * Nanoseconds per `alloc` + `free` pair of the {@linkcode Heap} at 16, 64,
 * 512 and 8192 bytes, on OsPages and on BufferPages.
 *
 * - "warm": one other chunk of the class stays live, so the span stays live
 *   (the steady state of a busy heap);
 * - "empty": nothing else is live, so every free retires the span to the
 *   empty-span list and every alloc takes it back (SPEC §2's worst case).
 *
 * Each case runs in a fresh process (so the JIT sees only that case) and
 * reports the median of 9 runs of 500,000 pairs, in CPU time rather than wall
 * time so that time spent descheduled on a busy machine is not counted.
 *
 * Run: `deno run --allow-ffi --allow-run bench/heap_pairs.ts`
 *
 * @module
 */
import process from "node:process";
import { Heap } from "../heap/mod.ts";
import { BufferPages, OsPages } from "../os/mod.ts";

const SIZES = [16, 64, 512, 8192];
const SOURCES = ["OsPages", "BufferPages"];
const PAIRS = 500_000;

function pairs(heap: Heap, size: number, n: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) heap.free(heap.alloc(size), size);
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) * 1e3 / n;
}

function child(source: string, size: number, warm: boolean): number {
  using pages = source === "OsPages"
    ? new OsPages({ reserve: 2 ** 30 })
    : new BufferPages({ reserve: 2 ** 28 });
  using heap = new Heap({ pages });
  if (warm) heap.alloc(size);
  pairs(heap, size, PAIRS / 5); // warm-up, so the JIT has optimized
  const runs = [];
  for (let r = 0; r < 9; r++) runs.push(pairs(heap, size, PAIRS));
  return runs.sort((a, b) => a - b)[4];
}

const [mode, source, size, warm] = Deno.args;
if (mode === "--child") {
  console.log(child(source, Number(size), warm === "warm"));
} else {
  console.log("source       size   warm ns/pair   empty ns/pair");
  for (const source of SOURCES) {
    for (const size of SIZES) {
      const row = [];
      for (const warm of ["warm", "empty"]) {
        const { stdout } = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--allow-ffi",
            import.meta.filename!,
            "--child",
            source,
            String(size),
            warm,
          ],
        }).output();
        row.push(Number(new TextDecoder().decode(stdout)));
      }
      console.log(
        `${source.padEnd(12)} ${String(size).padStart(5)} ${
          row[0].toFixed(1).padStart(14)
        } ${row[1].toFixed(1).padStart(15)}`,
      );
    }
  }
}
