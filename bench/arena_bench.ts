/**
 * `deno bench --allow-ffi bench/`: arena bump allocation (cleared every
 * 1 MiB, so the arena does not grow without end) and a scratch region's
 * begin and end.
 *
 * @module
 */
import { Arena, scratch } from "../arena/mod.ts";
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";
import { writeBlock } from "./_write.ts";

const CLEAR_AT = 2 ** 20;

for (const size of [16, 256]) {
  const arena = new Arena();
  const memory = arena.memory;
  Deno.bench(`arena alloc ${size}`, { group: `arena ${size} bytes` }, () => {
    if (arena.bytesUsed > CLEAR_AT) arena.clear();
    const p = arena.alloc(size);
    writeBlock(memory, p, size);
  });
  // The same size from a heap, alloc+free, for scale.
  const heap = new Heap({ pages: new OsPages() });
  const heapMemory = heap.memory;
  Deno.bench(
    `heap alloc+free ${size}`,
    { group: `arena ${size} bytes` },
    () => {
      const p = heap.alloc(size);
      writeBlock(heapMemory, p, size);
      heap.free(p, size);
    },
  );
}

Deno.bench("scratch region begin+end", { group: "scratch" }, () => {
  using _region = scratch();
});

Deno.bench("scratch region begin+alloc 64+end", { group: "scratch" }, () => {
  using region = scratch();
  region.alloc(64);
});
