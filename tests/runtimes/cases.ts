// The cross-runtime cases: what every allocator on ArrayBuffer memory must
// do in Deno, Node, Bun and a browser alike. This module imports nothing but
// the library, so it runs (bundled) in a web page too. Each case returns
// plain data — numbers, strings, booleans — and the runner compares it with
// `expect` by deep equality, so a browser's results can travel as JSON to a
// checker outside it.
//
// Pointers are exact: a BufferPages range hands out pages from page 1 up, a
// heap takes its own page first, then 64 KiB segments whose first span
// starts 4096 bytes in, with chunks from 48 bytes into a span
// (docs/design.md#heap-geometry).
import {
  Arena,
  BufferPages,
  defaultPages,
  FixedAllocator,
  Heap,
  OsPages,
  Pool,
  scratch,
  SharedPages,
  WasmPages,
  WorkerHeap,
} from "../../mod.ts";

/** What a case returns: field names to plain values. */
export type Observed = Record<string, unknown>;

/** One case: a name, what it does, and exactly what that must give. */
export interface RuntimeCase {
  name: string;
  /** Only where there is no Deno (FFI is then never available). */
  withoutDeno?: boolean;
  run(): Observed;
  expect: Observed;
}

/** What a runtime made of one case: its values, or what it threw. */
export interface Outcome {
  name: string;
  actual?: Observed;
  threw?: string;
}

// What a refused call threw, as data: the class name, and the reason of a
// PointerError or the request of an OutOfMemoryError.
function thrown(fn: () => unknown): Observed {
  try {
    fn();
  } catch (e) {
    const err = e as Error & { reason?: string; requested?: number };
    return {
      error: err.name,
      ...(err.reason !== undefined ? { reason: err.reason } : {}),
      ...(err.requested !== undefined ? { requested: err.requested } : {}),
    };
  }
  return { error: "none" };
}

const KiB = 1024;
const PAGE = 4096;

/** Every case, in the order they run. */
export const CASES: RuntimeCase[] = [
  {
    name: "memory.fill with 0xff writes every byte, by word stores too",
    run() {
      const pages = new BufferPages({ reserve: 256 * KiB });
      const page = pages.alloc(PAGE);
      const u8 = pages.memory.u8;
      // 8-aligned lengths up to 256 take fillBytes's word-store path; 0xff
      // is a NaN as a double, whose bits an engine may canonicalize.
      const lengths = [8, 16, 64, 256, 9, 300];
      const counts = lengths.map((n) => {
        u8.fill(0, page, page + PAGE);
        pages.memory.fill(page + 8, n, 0xff);
        let ff = 0;
        for (let i = page; i < page + PAGE; i++) ff += u8[i] === 0xff ? 1 : 0;
        return [ff, u8[page + 7], u8[page + 8 + n]];
      });
      pages.destroy();
      return { counts };
    },
    expect: {
      counts: [[8, 0, 0], [16, 0, 0], [64, 0, 0], [256, 0, 0], [9, 0, 0], [
        300,
        0,
        0,
      ]],
    },
  },
  {
    name: "BufferPages hands out page runs and reuses a freed one zeroed",
    run() {
      const pages = new BufferPages({ reserve: 256 * KiB });
      const a = pages.alloc(PAGE);
      const b = pages.alloc(3 * PAGE);
      pages.memory.u8[a] = 7;
      pages.free(a, PAGE);
      const c = pages.alloc(100);
      const out = {
        a,
        b,
        c,
        reread: pages.memory.u8[c],
        runSize: pages.runSize(b),
        liveBytes: pages.liveBytes,
        touchedBytes: pages.touchedBytes,
        liveRuns: pages.liveRuns,
      };
      pages.destroy();
      return out;
    },
    expect: {
      a: PAGE,
      b: 2 * PAGE,
      c: PAGE,
      reread: 0,
      runSize: 3 * PAGE,
      liveBytes: 4 * PAGE,
      touchedBytes: 5 * PAGE,
      liveRuns: 2,
    },
  },
  {
    name: "BufferPages refuses bad calls and changes nothing",
    run() {
      const pages = new BufferPages({ reserve: 256 * KiB });
      const a = pages.alloc(PAGE);
      const out = {
        unaligned: thrown(() => pages.free(a + 1, PAGE)),
        wrongSize: thrown(() => pages.free(a, 2 * PAGE)),
        negative: thrown(() => pages.alloc(-1)),
        beyondReserve: thrown(() => pages.alloc(512 * KiB)),
        // 63 pages fit the reservation, but only 62 are left after a and
        // page 0.
        noRoom: thrown(() => pages.alloc(63 * PAGE)),
        liveBytes: pages.liveBytes,
        again: pages.alloc(PAGE),
      };
      pages.destroy();
      return out;
    },
    expect: {
      unaligned: { error: "PointerError", reason: "unaligned" },
      wrongSize: { error: "PointerError", reason: "size-mismatch" },
      negative: { error: "RangeError" },
      beyondReserve: { error: "RangeError" },
      noRoom: { error: "OutOfMemoryError", requested: 63 * PAGE },
      liveBytes: PAGE,
      again: 2 * PAGE,
    },
  },
  {
    name: "BufferPages destroy detaches every view, then refuses calls",
    run() {
      const pages = new BufferPages({ reserve: 256 * KiB });
      const view = pages.memory.u8;
      const before = view.length;
      pages.destroy();
      return {
        before,
        after: view.length,
        destroyed: pages.destroyed,
        alloc: thrown(() => pages.alloc(1)),
      };
    },
    expect: {
      before: 256 * KiB,
      after: 0,
      destroyed: true,
      alloc: { error: "DestroyedError" },
    },
  },
  {
    name: "Heap lays out spans, segments and large blocks at exact addresses",
    run() {
      const pages = new BufferPages({ reserve: 4 * 1024 * KiB });
      const heap = new Heap({ pages });
      const p16 = heap.alloc(16);
      const p64 = heap.alloc(64);
      const p1024 = heap.alloc(1024);
      const big = heap.alloc(8192);
      const out = {
        pointers: [p16, p64, p1024, big],
        span: heap.inspect(p64 + 10),
        large: heap.inspect(big),
        liveSpans: heap.liveSpans,
        emptySpans: heap.emptySpans,
        largeBlocks: heap.largeBlocks,
        bytesUsed: heap.bytesUsed,
        bytesReserved: heap.bytesReserved,
      };
      heap.validate();
      for (const [p, n] of [[p16, 16], [p64, 64], [p1024, 1024], [big, 8192]]) {
        heap.free(p, n);
      }
      heap.destroy();
      pages.destroy();
      return out;
    },
    expect: {
      // Heap page 1; segment from page 2 (header), spans from page 3.
      pointers: [3 * PAGE + 48, 4 * PAGE + 48, 5 * PAGE + 48, 18 * PAGE],
      span: {
        kind: "span",
        span: 4 * PAGE,
        classSize: 64,
        chunksUsed: 1,
        chunkCount: 63,
      },
      large: {
        kind: "large",
        block: 18 * PAGE,
        ptr: 18 * PAGE,
        size: 8192,
        capacity: 2 * PAGE,
      },
      liveSpans: 3,
      emptySpans: 12,
      largeBlocks: 1,
      bytesUsed: 16 + 64 + 1344 + 8192,
      bytesReserved: PAGE + 64 * KiB + 2 * PAGE,
    },
  },
  {
    name: "Heap refuses bad pointers and sizes and keeps its counters",
    run() {
      const pages = new BufferPages({ reserve: 4 * 1024 * KiB });
      const heap = new Heap({ pages });
      const p = heap.alloc(64);
      const q = heap.alloc(64);
      heap.free(q, 64);
      const out = {
        interior: thrown(() => heap.free(p + 16, 64)),
        doubleFree: thrown(() => heap.free(q, 64)),
        sizeMismatch: thrown(() => heap.free(p, 200)),
        header: thrown(() => heap.free(2 * PAGE + 16)),
        negative: thrown(() => heap.alloc(-1)),
        bytesUsed: heap.bytesUsed,
        liveSpans: heap.liveSpans,
        reused: heap.alloc(64) === q,
      };
      heap.validate();
      heap.destroy();
      pages.destroy();
      return out;
    },
    expect: {
      interior: { error: "PointerError", reason: "interior" },
      doubleFree: { error: "PointerError", reason: "double-free" },
      sizeMismatch: { error: "PointerError", reason: "size-mismatch" },
      header: { error: "PointerError", reason: "foreign" },
      negative: { error: "RangeError" },
      bytesUsed: 64,
      liveSpans: 1,
      reused: true,
    },
  },
  {
    name: "Heap resizes a large block in place and keeps its bytes",
    run() {
      const pages = new BufferPages({ reserve: 4 * 1024 * KiB });
      const heap = new Heap({ pages });
      const p = heap.alloc(5000);
      heap.memory.u8[p + 4999] = 9;
      const q = heap.resize(p, 5000, 6000);
      const out = {
        samePointer: q === p,
        kept: heap.memory.u8[q + 4999],
        zeroPast: heap.memory.u8[q + 5000],
        bytesUsed: heap.bytesUsed,
        bytesReserved: heap.bytesReserved,
      };
      heap.free(q, 6000);
      heap.destroy();
      pages.destroy();
      return out;
    },
    expect: {
      samePointer: true,
      kept: 9,
      zeroPast: 0,
      bytesUsed: 6000,
      bytesReserved: PAGE + 2 * PAGE,
    },
  },
  {
    name: "Arena bumps, pops to a mark and hands out zeroed memory again",
    run() {
      const pages = new BufferPages({ reserve: 256 * KiB });
      const arena = new Arena({ parent: pages });
      const a = arena.alloc(10);
      const b = arena.alloc(10);
      const mark = arena.mark();
      const c = arena.alloc(100);
      arena.memory.u8[c] = 5;
      const used = arena.bytesUsed;
      arena.pop(mark);
      const d = arena.alloc(1);
      const out = {
        pointers: [a, b, c, d],
        used,
        reread: arena.memory.u8[d],
        afterPop: arena.bytesUsed,
        capacity: arena.capacity,
      };
      arena.destroy();
      const gone = thrown(() => arena.alloc(1));
      pages.destroy();
      return { ...out, gone };
    },
    expect: {
      // The first block is page 1; data starts after its 32-byte header,
      // and bytesUsed counts from there, padding included.
      pointers: [PAGE + 32, PAGE + 48, PAGE + 64, PAGE + 64],
      used: 16 + 16 + 100,
      reread: 0,
      afterPop: 16 + 16 + 1,
      capacity: PAGE,
      gone: { error: "DestroyedError" },
    },
  },
  {
    name: "FixedAllocator fills its region, refuses the overflow, clears",
    run() {
      const pages = new BufferPages({ reserve: 256 * KiB });
      const page = pages.alloc(PAGE);
      pages.memory.u8.fill(0xff, page, page + PAGE);
      const fixed = new FixedAllocator({
        memory: pages.memory,
        ptr: page,
        length: 256,
      });
      const a = fixed.alloc(100);
      const b = fixed.alloc(100);
      const out = {
        offsets: [a - page, b - page],
        zeroed: pages.memory.u8[b + 99],
        overflow: thrown(() => fixed.alloc(100)),
        bytesUsed: fixed.bytesUsed,
      };
      fixed.clear();
      const again = fixed.alloc(8) - page;
      pages.destroy();
      return { ...out, again };
    },
    expect: {
      offsets: [0, 112],
      zeroed: 0,
      overflow: { error: "OutOfMemoryError", requested: 100 },
      bytesUsed: 212,
      again: 0,
    },
  },
  {
    name:
      "Pool hands out blocks in order on BufferPages, WasmPages and SharedPages, reuses the last freed zeroed, refuses an interior free",
    run() {
      const on = (pages: BufferPages | WasmPages | SharedPages) => {
        const pool = new Pool({ blockSize: 24, parent: pages });
        const a = pool.alloc(), b = pool.alloc();
        pages.memory.f64[a / 8] = 1.5;
        pool.free(a);
        const c = pool.alloc();
        const out = [
          a,
          b,
          c,
          pages.memory.f64[c / 8],
          thrown(() => pool.free(c + 8)),
          pool.blocks,
          pool.bytesReserved,
        ];
        pool.destroy();
        const live = pages.liveBytes;
        pages.destroy();
        return { out, live };
      };
      return {
        buffer: on(new BufferPages({ reserve: 4096 * KiB })),
        wasm: on(new WasmPages({ reserve: 4096 * KiB })),
        shared: on(new SharedPages({ reserve: 4096 * KiB })),
      };
    },
    expect: Object.fromEntries(["buffer", "wasm", "shared"].map((k) => [k, {
      out: [
        4096,
        4120,
        4096,
        0,
        { error: "PointerError", reason: "interior" },
        2,
        65536,
      ],
      live: 0,
    }])),
  },
  {
    name: "scratch regions nest, end in order and reuse their memory",
    run() {
      const outer = scratch();
      const p = outer.alloc(64);
      outer.memory.u8[p] = 1;
      const other = scratch(outer); // the other arena: p stays live
      const q = other.alloc(64);
      const inner = scratch(other); // back on outer's arena, above p
      const r = inner.alloc(16);
      const misordered = thrown(() => outer.end());
      inner.end();
      other.end();
      const kept = outer.memory.u8[p];
      outer.end();
      const again = scratch();
      const s = again.alloc(64);
      const out = {
        otherArena: q < p || q >= p + 64,
        innerAbove: r >= p + 64,
        misordered,
        kept,
        reused: s === p,
        zeroed: again.memory.u8[s],
      };
      again.end();
      return { ...out, ended: thrown(() => again.alloc(1)) };
    },
    expect: {
      otherArena: true,
      innerAbove: true,
      misordered: { error: "ScratchOrderError" },
      kept: 1,
      reused: true,
      zeroed: 0,
      ended: { error: "DestroyedError" },
    },
  },
  {
    name: "WasmPages puts a heap above a module's memory, at its addresses",
    run() {
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 64 });
      const pages = new WasmPages({ memory, reserve: 1024 * KiB });
      const heap = new Heap({ pages });
      const p = heap.alloc(16);
      new DataView(memory.buffer).setFloat64(p, 2.5, true);
      const seen = heap.memory.f64[p / 8];
      heap.free(p, 16);
      const used = heap.bytesUsed;
      pages.destroy();
      return {
        base: pages.base,
        p,
        grown: memory.buffer.byteLength,
        seen,
        used,
        after: thrown(() => heap.alloc(16)),
        moduleStillReads: new Float64Array(memory.buffer, p, 1)[0],
      };
    },
    expect: {
      base: 131072,
      p: 131072 + 4096 + 4096 + 48,
      grown: 1024 * KiB,
      seen: 2.5,
      used: 0,
      after: { error: "DestroyedError" },
      moduleStillReads: 2.5,
    },
  },
  {
    name:
      "SharedPages and two WorkerHeaps: a remote free, collected by the owner",
    run() {
      const pages = new SharedPages({ reserve: 1024 * KiB });
      const a = new WorkerHeap({ pages });
      const b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
      const p = a.alloc(24);
      b.free(p, 24);
      const waiting = a.waitingFrees;
      const twice = thrown(() => b.free(p, 24));
      const collected = a.collect();
      const result = {
        ids: [a.id, b.id],
        owner: pages.ownerOf(p),
        waiting,
        twice,
        collected,
        used: a.bytesUsed,
      };
      b.destroy();
      a.destroy();
      pages.destroy();
      return result;
    },
    expect: {
      ids: [1, 2],
      owner: 1,
      waiting: 1,
      twice: { error: "PointerError", reason: "double-free" },
      collected: 1,
      used: 0,
    },
  },
  {
    name: "without Deno, defaultPages is BufferPages and OsPages says why not",
    withoutDeno: true,
    run() {
      const pages = defaultPages({ reserve: 256 * KiB });
      const kind = pages.kind;
      pages.destroy();
      return { kind, os: thrown(() => new OsPages()) };
    },
    expect: { kind: "buffer", os: { error: "FfiUnavailableError" } },
  },
];

/**
 * Runs the cases in this runtime.
 *
 * @param cases The cases to run.
 * @returns What each gave, or what it threw (its name and message).
 */
export function observe(cases: RuntimeCase[]): Outcome[] {
  return cases.map(({ name, run }) => {
    try {
      return { name, actual: run() };
    } catch (e) {
      return { name, threw: `${(e as Error).name}: ${(e as Error).message}` };
    }
  });
}
