// The process-safety fuzz, run in a subprocess by fuzz_test.ts (a crash —
// a SIGSEGV from touching native memory wrongly — fails the parent test):
// random alloc, resize and free over sizes on a log scale up to 256 KiB, with
// about one call in ten deliberately bad, on every allocator. Each live block
// carries a pattern checked before it is resized or freed (an overlap would
// break one); every bad call must throw and leave the counters as they were;
// heaps and page sources must match a model of their counters; validate()
// must pass at the end. FUZZ_OPS sets the operations per allocator.
//
//   deno run --allow-ffi --allow-env=FUZZ_OPS tests/_fuzz.ts
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { Heap } from "../heap/mod.ts";
import {
  type Allocator,
  BufferPages,
  OsPages,
  type PageSource,
  PointerError,
} from "../os/mod.ts";
import { classOf } from "./_heap_model.ts";

const OPS = Number(Deno.env.get("FUZZ_OPS") ?? 20_000);
const MAX_LIVE = 200;

/** An allocator to fuzz, and how its counters should move. */
interface Target {
  name: string;
  allocator: Allocator;
  /** The counters a refused call must leave alone. */
  counters(): unknown;
  /** Bytes the model says are in use for a live block of `size`, or null. */
  charge: ((size: number) => number) | null;
  /** The counter the charges must add up to. */
  used?(): number;
  /** Whether freeing anything but the last allocation gives it back. */
  freesAny: boolean;
  /** The largest size it can hand out. */
  max: number;
  validate(): void;
  destroy(): void;
}

function heapTarget(name: string, pages: PageSource): Target {
  const heap = new Heap({ pages, decayMs: Infinity });
  return {
    name,
    allocator: heap,
    counters: () => [heap.bytesUsed, heap.bytesReserved, heap.liveSpans],
    charge: (size) => size > 2016 ? size : classOf(size)!,
    used: () => heap.bytesUsed,
    freesAny: true,
    max: 2 ** 18,
    validate: () => heap.validate(),
    destroy: () => {
      heap.destroy();
      pages.destroy();
    },
  };
}

function pagesTarget(name: string, pages: PageSource): Target {
  return {
    name,
    allocator: pages,
    counters: () => [pages.liveBytes, pages.liveRuns],
    charge: (size) => Math.max(1, Math.ceil(size / 4096)) * 4096,
    used: () => pages.liveBytes,
    freesAny: true,
    max: 2 ** 18,
    validate: () => {},
    destroy: () => pages.destroy(),
  };
}

function bumpTarget(
  name: string,
  allocator: Arena | FixedAllocator,
  destroy: () => void,
  max: number,
): Target {
  return {
    name,
    allocator,
    counters: () => allocator.bytesUsed,
    charge: null,
    freesAny: false,
    max,
    validate: () => {},
    destroy,
  };
}

function targets(): Target[] {
  const os = () => new OsPages({ reserve: 2 ** 30 });
  const buffer = () => new BufferPages({ reserve: 2 ** 29 });
  const arenaPages = buffer();
  const arenaHeapPages = os();
  const arenaHeap = new Heap({ pages: arenaHeapPages });
  const fixedPages = buffer();
  const region = fixedPages.alloc(2 ** 22);
  return [
    heapTarget("Heap on OsPages", os()),
    heapTarget("Heap on BufferPages", buffer()),
    pagesTarget("OsPages", os()),
    pagesTarget("BufferPages", buffer()),
    bumpTarget(
      "Arena on BufferPages",
      new Arena({ parent: arenaPages }),
      () => arenaPages.destroy(),
      2 ** 18,
    ),
    bumpTarget(
      "Arena on a Heap",
      new Arena({ parent: arenaHeap }),
      () => {
        arenaHeap.destroy();
        arenaHeapPages.destroy();
      },
      2 ** 18,
    ),
    bumpTarget(
      "FixedAllocator",
      new FixedAllocator({
        memory: fixedPages.memory,
        ptr: region,
        length: 2 ** 22,
      }),
      () => fixedPages.destroy(),
      2 ** 16,
    ),
  ];
}

/** xorshift32: a repeatable sequence per allocator. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

interface Block {
  ptr: number;
  size: number;
  seed: number;
}

function fuzz(t: Target, seed: number): number {
  const rand = random(seed);
  const { allocator } = t;
  const u8 = () => allocator.memory.u8;
  const live: Block[] = [];
  const freed: Block[] = [];
  let next = 1;
  const write = (b: Block) => {
    const m = u8();
    for (let i = 0; i < b.size; i += 61) m[b.ptr + i] = (b.seed + i) & 255;
  };
  const check = (b: Block, what: string) => {
    const m = u8();
    for (let i = 0; i < b.size; i += 61) {
      if (m[b.ptr + i] !== ((b.seed + i) & 255)) {
        throw new Error(
          `${t.name}: block ${b.ptr}+${b.size} lost byte ${i} (${what})`,
        );
      }
    }
  };
  const sizeOf = () => Math.min(t.max, Math.floor(2 ** (rand() * 18)));
  const modelUsed = () =>
    t.charge === null ? 0 : live.reduce((n, b) => n + t.charge!(b.size), 0);

  // One deliberately bad call: it must throw, and change nothing.
  const bad = () => {
    const before = JSON.stringify(t.counters());
    const b = live[Math.floor(rand() * live.length)];
    const calls: (() => unknown)[] = [
      () => allocator.alloc(-1),
      () => allocator.alloc(0.5),
      () => allocator.alloc(2 ** 53),
      () => allocator.free(-16, 16),
      () => allocator.free(NaN, 16),
      () => allocator.free(allocator.memory.byteLength + 4096, 16),
    ];
    if (b && t.freesAny) {
      calls.push(
        () => allocator.free(b.ptr + 8, b.size - 8),
        () => allocator.resize(b.ptr + 8, b.size - 8, 64),
      );
    }
    const gone = freed[Math.floor(rand() * freed.length)];
    if (gone && t.freesAny && !live.some((l) => l.ptr === gone.ptr)) {
      calls.push(() => allocator.free(gone.ptr, gone.size));
    }
    const call = calls[Math.floor(rand() * calls.length)];
    let threw = false;
    try {
      call();
    } catch (e) {
      if (!(e instanceof RangeError || e instanceof PointerError)) throw e;
      threw = true;
    }
    if (!threw) throw new Error(`${t.name}: a bad call was taken: ${call}`);
    if (JSON.stringify(t.counters()) !== before) {
      throw new Error(`${t.name}: a refused call changed the counters`);
    }
  };

  for (let op = 0; op < OPS; op++) {
    const r = rand();
    if (r < 0.1) {
      bad();
    } else if (r < 0.55 || live.length === 0) {
      if (live.length >= MAX_LIVE) continue;
      const size = sizeOf();
      let ptr: number;
      try {
        ptr = allocator.alloc(size);
      } catch (e) {
        if ((e as Error).name === "OutOfMemoryError") continue;
        throw e;
      }
      const b = { ptr, size, seed: next++ };
      write(b);
      live.push(b);
    } else if (r < 0.8) {
      const i = Math.floor(rand() * live.length);
      const b = live[i];
      check(b, "before free");
      allocator.free(b.ptr, b.size);
      live.splice(i, 1);
      freed.push(b);
      if (freed.length > 64) freed.shift();
    } else {
      const i = Math.floor(rand() * live.length);
      const b = live[i];
      check(b, "before resize");
      const size = sizeOf();
      let ptr: number;
      try {
        ptr = allocator.resize(b.ptr, b.size, size);
      } catch (e) {
        if ((e as Error).name === "OutOfMemoryError") continue;
        throw e;
      }
      const kept = { ...b, ptr, size: Math.min(b.size, size) };
      check(kept, "after resize");
      if (ptr !== b.ptr) freed.push(b);
      live[i] = { ptr, size, seed: next++ };
      write(live[i]);
    }
    if (t.used && op % 97 === 0 && t.used() !== modelUsed()) {
      throw new Error(
        `${t.name}: ${t.used()} bytes used, the model says ${modelUsed()}`,
      );
    }
  }
  for (const b of live) check(b, "at the end");
  if (t.used && t.used() !== modelUsed()) {
    throw new Error(`${t.name}: the counters drifted from the model`);
  }
  t.validate();
  for (const b of live.reverse()) allocator.free(b.ptr, b.size);
  t.validate();
  return OPS;
}

const results: Record<string, number> = {};
let seed = 12345;
for (const t of targets()) {
  const started = performance.now();
  const ops = fuzz(t, seed++);
  results[t.name] = Math.round(ops / ((performance.now() - started) / 1000));
  t.destroy();
}
console.log(JSON.stringify({ ops: OPS, opsPerSecond: results }));
