/**
 * `deno bench --allow-ffi bench/page_source_bench.ts`: one page-run alloc,
 * write and free of 1, 2 and 16 pages on each page source, with nothing else
 * live (`alone`) or one run of the same size kept live (`neighbour`). OsPages
 * keeps freed runs for reuse by default; `retain: 0` gives them back at once
 * (every free is an `madvise`, every reuse faults the pages in again). The
 * whole run is written, as in the alloc+free benchmarks.
 *
 * @module
 */
import { BufferPages, OsPages } from "../os/mod.ts";
import { writeBlock } from "./_write.ts";
import { type Pair, PATTERNS, withNeighbour } from "./_pairs.ts";

const osPair = (retain?: number): Pair => (size, neighbour) => {
  const s = withNeighbour(new OsPages({ retain }), size, neighbour);
  const memory = s.memory;
  return () => {
    const p = s.alloc(size);
    writeBlock(memory, p, size);
    s.free(p, size);
  };
};
const SOURCES: [string, Pair][] = [
  ["OsPages", osPair()],
  ["OsPages retain 0", osPair(0)],
  ["BufferPages", (size, neighbour) => {
    const s = withNeighbour(new BufferPages(), size, neighbour);
    const memory = s.memory;
    return () => {
      const p = s.alloc(size);
      writeBlock(memory, p, size);
      s.free(p, size);
    };
  }],
];

for (const pages of [1, 2, 16]) {
  const size = pages * 4096;
  const run = pages === 1 ? "1 page" : `${pages} pages`;
  for (const [pattern, neighbour] of PATTERNS) {
    for (const [name, pair] of SOURCES) {
      Deno.bench(`${name} ${run} ${pattern}`, {
        group: `page run of ${run}, ${pattern}`,
        baseline: name === "OsPages",
      }, pair(size, neighbour));
    }
  }
}
