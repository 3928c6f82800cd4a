/**
 * `deno bench --allow-ffi bench/page_source_bench.ts`: one page-run alloc+free
 * pair on each page source, at 4 KiB and 64 KiB, with the OS pages' freed runs
 * kept for reuse (the default) and given back at once (`retain: 0`, so every
 * free is an `madvise` and every reuse faults the pages in again). Each
 * allocation is written once (one byte a page), as a user would.
 *
 * @module
 */
import { BufferPages, OsPages, type PageSource } from "../os/mod.ts";

const sources: [string, () => PageSource][] = [
  ["OsPages", () => new OsPages()],
  ["OsPages retain 0", () => new OsPages({ retain: 0 })],
  ["BufferPages", () => new BufferPages()],
];

for (const size of [4096, 65536]) {
  for (const [name, make] of sources) {
    const pages = make();
    const u8 = pages.memory.u8;
    // A neighbour stays live, so the pair does not just move the top.
    pages.alloc(size);
    Deno.bench(`${name} alloc+free ${size}`, {
      group: `page run ${size} bytes`,
      baseline: name === "OsPages",
    }, () => {
      const p = pages.alloc(size);
      for (let i = 0; i < size; i += 4096) u8[p + i] = 1;
      pages.free(p, size);
    });
  }
}
