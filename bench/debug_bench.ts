/**
 * `deno bench --allow-ffi bench/debug_bench.ts`: what a
 * {@linkcode DebugAllocator} costs on an alloc+free pair, against the bare
 * heap it wraps — with the default quarantine, without one, and with stacks.
 *
 * @module
 */
import { DebugAllocator } from "../debug/mod.ts";
import { Heap } from "../heap/mod.ts";
import { BufferPages } from "../os/mod.ts";

const VARIANTS: [
  string,
  (
    heap: Heap,
  ) => { alloc(n: number): number; free(p: number, n: number): void },
][] = [
  ["heap", (heap) => heap],
  ["debug", (heap) => new DebugAllocator({ parent: heap })],
  [
    "debug, no quarantine",
    (heap) => new DebugAllocator({ parent: heap, quarantine: 0 }),
  ],
  [
    "debug, stacks",
    (heap) => new DebugAllocator({ parent: heap, stacks: true }),
  ],
];

for (const size of [64, 4096]) {
  for (const [name, make] of VARIANTS) {
    const a = make(new Heap({ pages: new BufferPages({ decayMs: Infinity }) }));
    Deno.bench({
      name: `${name} ${size}`,
      group: `pair ${size}`,
      baseline: name === "heap",
      fn: () => a.free(a.alloc(size), size),
    });
  }
}
