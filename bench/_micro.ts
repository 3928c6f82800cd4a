// The cross-runtime micro benchmarks, as data: groups of named functions
// that mitata (`micro.ts`, in Deno, Node and Bun) and tinybench
// (`web/page.ts`, in a browser) time alike. Everything runs on ArrayBuffer
// memory, so every runtime runs the same code; `deno bench` has the native
// (OsPages, malloc) counterparts.
import { Arena, scratch } from "../arena/mod.ts";
import { Heap } from "../heap/mod.ts";
import { BufferPages } from "../os/mod.ts";
import { GcBackend } from "./backends/gc.ts";
import { ThingBackend } from "./backends/thing.ts";
import { WORKLOADS } from "./workloads.ts";
import { writeBlock } from "./_write.ts";

/** One benchmark: a name and the operation it times. */
export interface Micro {
  name: string;
  fn: () => void;
}

/** Benchmarks compared with each other; the first is the baseline. */
export interface MicroGroup {
  title: string;
  /** How mitata draws the group: bars of the averages, or boxes. */
  plot: "bar" | "box";
  benches: Micro[];
}

/** The sizes of the alloc+write+free pairs. */
export const PAIR_SIZES = [16, 64, 512, 4096, 65536];

// The arena is cleared after this many bytes, so it does not grow without
// end.
const CLEAR_AT = 2 ** 20;
// Each benchmark has its own range; 16 MiB holds the largest (16 pages).
const RESERVE = 2 ** 24;

// Each benchmark gets a function literal of its own (see _pairs.ts).
function heapPair(size: number): () => void {
  const heap = new Heap({ pages: new BufferPages({ reserve: RESERVE }) });
  const memory = heap.memory;
  return () => {
    const p = heap.alloc(size);
    writeBlock(memory, p, size);
    heap.free(p, size);
  };
}

function gcPair(size: number): () => void {
  const gc = new GcBackend();
  return () => gc.free(gc.alloc(size), size);
}

function thingPair(size: number): () => void {
  const thing = new ThingBackend({ ...WORKLOADS[0], slots: 1, hi: size });
  return () => thing.free(thing.alloc(size), size);
}

function arenaAlloc(size: number): () => void {
  const arena = new Arena({ parent: new BufferPages({ reserve: RESERVE }) });
  const memory = arena.memory;
  return () => {
    if (arena.bytesUsed > CLEAR_AT) arena.clear();
    writeBlock(memory, arena.alloc(size), size);
  };
}

function pageRun(pages: number): () => void {
  const source = new BufferPages({ reserve: RESERVE });
  const memory = source.memory;
  const size = pages * 4096;
  return () => {
    const p = source.alloc(size);
    writeBlock(memory, p, size);
    source.free(p, size);
  };
}

/**
 * Makes the groups, each on fresh memory.
 *
 * @returns alloc+write+free pairs per size (heap-buffer, gc, thi.ng), arena
 * allocation, scratch regions and page runs.
 */
export function microGroups(): MicroGroup[] {
  return [
    ...PAIR_SIZES.map((size): MicroGroup => ({
      title: `alloc+write+free ${size} B`,
      plot: "bar",
      benches: [
        { name: `heap-buffer ${size}`, fn: heapPair(size) },
        { name: `gc ${size}`, fn: gcPair(size) },
        { name: `thi.ng ${size}`, fn: thingPair(size) },
      ],
    })),
    ...[16, 256].map((size): MicroGroup => ({
      title: `arena ${size} B`,
      plot: "bar",
      benches: [
        { name: `arena alloc+write ${size}`, fn: arenaAlloc(size) },
        { name: `heap-buffer alloc+write+free ${size}`, fn: heapPair(size) },
      ],
    })),
    {
      title: "scratch region",
      plot: "box",
      benches: [
        {
          name: "scratch begin+end",
          fn: () => scratch().end(),
        },
        {
          name: "scratch begin+alloc 64+end",
          fn: () => {
            const region = scratch();
            region.alloc(64);
            region.end();
          },
        },
      ],
    },
    {
      title: "page run alloc+write+free",
      plot: "box",
      benches: [1, 2, 16].map((pages) => ({
        name: `BufferPages ${pages === 1 ? "1 page" : `${pages} pages`}`,
        fn: pageRun(pages),
      })),
    },
  ];
}
