// One adapter per kind of allocator, so that the operation tables, the
// Allocator contract suite and the fuzz can run on any of them: the
// allocator, its own handles by name, its counters, its limits, how its
// frees and its bytes-used counter behave, and how to destroy it.
import {
  Arena,
  type ArenaMark,
  FixedAllocator,
  scratch,
  type ScratchRegion,
} from "../arena/mod.ts";
import { DebugAllocator } from "../debug/mod.ts";
import { Pool } from "../pool/mod.ts";
import { Heap, WorkerHeap } from "../heap/mod.ts";
import { type Allocator, type PageSource, SharedPages } from "../os/mod.ts";
import type { Watched } from "./_assert_refused.ts";
import type { Parent, ParentMaker } from "./_arena_parents.ts";
import { CLASSES, classOf, twinOf } from "./_heap_model.ts";
import type { SourceMaker } from "./_sources.ts";

/**
 * What a free of an allocation older than the newest does: `frees` it (heap,
 * page sources), or `keeps` it until the region is popped or cleared
 * (arenas, fixed regions), which makes a second free of it a no-op too.
 */
export type OlderFree = "frees" | "keeps";

/**
 * How a bytes-used counter follows the live allocations: `bytes()` reads it,
 * and each live allocation of `size` bytes (asked with `alignment`, if any)
 * adds `charge(size, alignment)` to it.
 */
export interface Usage {
  bytes(): number;
  charge(size: number, alignment?: number): number;
}

/** An allocator under test. Disposing it destroys it and its parent. */
export interface Subject<X> extends Watched, Disposable {
  readonly allocator: Allocator;
  /** The allocator and what it lives on, by name (`heap`, `pages`, `arena`…). */
  readonly handles: X;
  /** Every pointer it returns has a native address that is a multiple of this. */
  readonly alignment: number;
  /** The largest size its size check accepts. */
  readonly maxSize: number;
  /**
   * The largest allocation a fresh one holds, where it is known here
   * (undefined where it depends on more than the subject says).
   */
  readonly largest: number | undefined;
  /** What a free of an allocation older than the newest does. */
  readonly olderFree: OlderFree;
  /** Its bytes-used counter, where one follows the live allocations exactly. */
  readonly usage?: Usage;
  /** Named counters (bytes used, runs, blocks…). */
  state(): Record<string, unknown>;
  validate(): void;
  /** Destroys the allocator (not its parent): every later call throws. */
  destroy(): void;
  /**
   * Destroys what the allocator lives on (a heap's page source, an arena's
   * parent), leaving the allocator itself alone; absent where there is none.
   */
  destroyParent?(): void;
  /** Allocates memory that another allocator owns, in the same memory. */
  foreign(): number;
  /**
   * Gives every allocation back at once (an arena's or a fixed region's
   * `clear()`), where frees keep older allocations.
   */
  clear?(): void;
}

interface Parts<X> {
  allocator: Allocator;
  handles: X;
  alignment: number;
  maxSize: number;
  /** Default: `maxSize`. */
  largest?: number | undefined;
  olderFree: OlderFree;
  usage?: Usage;
  state(): Record<string, unknown>;
  validate?(): void;
  /** The size of the next allocation compared with a twin's. */
  probe: number;
  destroy(): void;
  destroyParent?(): void;
  foreign(): number;
  clear?(): void;
  dispose(): void;
}

function subject<X>(parts: Parts<X>): Subject<X> {
  const { allocator, probe } = parts;
  return {
    allocator,
    handles: parts.handles,
    alignment: parts.alignment,
    maxSize: parts.maxSize,
    largest: "largest" in parts ? parts.largest : parts.maxSize,
    olderFree: parts.olderFree,
    usage: parts.usage,
    state: parts.state,
    validate: parts.validate ?? (() => {}),
    // Allocates and frees again, so that a case can go on as before.
    next() {
      try {
        const ptr = allocator.alloc(probe);
        allocator.free(ptr, probe);
        return ptr;
      } catch (e) {
        return String(e);
      }
    },
    destroy: parts.destroy,
    destroyParent: parts.destroyParent,
    foreign: parts.foreign,
    clear: parts.clear,
    [Symbol.dispose]: parts.dispose,
  };
}

// What a heap's bytesUsed counts for a request: its class size (looked up,
// as the fuzz asks for every allocation), its aligned twin's with an
// alignment above 16, or the size itself for a large block (above 2016, or
// an alignment no twin serves).
const LARGEST_CLASS = CLASSES[CLASSES.length - 1];
const CLASS_BYTES = Uint16Array.from(
  { length: LARGEST_CLASS + 1 },
  (_, s) => classOf(s)!,
);
export const heapCharge = (size: number, alignment = 16): number =>
  size > LARGEST_CLASS
    ? size
    : alignment > 16
    ? twinOf(size, alignment) ?? size
    : CLASS_BYTES[size];

// A heap's counters, and those of its page source.
const heapState = (heap: Heap, pages: PageSource) => ({
  used: heap.bytesUsed,
  reserved: heap.bytesReserved,
  kept: heap.retainedBytes,
  peak: heap.peakReserved,
  spans: heap.liveSpans,
  large: heap.largeBlocks,
  empty: heap.emptySpans,
  segments: heap.segments,
  // (Introspection throws once the heap is destroyed, as every call does.)
  classStats: heap.destroyed || pages.destroyed ? [] : heap.classStats(),
  pagesLive: pages.liveBytes,
});

/** A Heap on a fresh page source of `reserve` bytes. */
export function heapSubject(
  source: SourceMaker,
  reserve = 2 ** 24,
): Subject<{ heap: Heap; pages: PageSource }> {
  const pages = source.make({ reserve });
  const heap = new Heap({ pages });
  return subject({
    allocator: heap,
    handles: { heap, pages },
    alignment: 16,
    // Page 0 is never handed out, and the heap keeps a page of its own.
    maxSize: pages.reservedBytes - 2 * 4096,
    olderFree: "frees",
    usage: { bytes: () => heap.bytesUsed, charge: heapCharge },
    state: () => heapState(heap, pages),
    validate: () => heap.destroyed || pages.destroyed || heap.validate(),
    probe: 24,
    destroy: () => heap.destroy(),
    destroyParent: () => pages.destroy(),
    foreign: () => pages.alloc(4096),
    dispose: () => {
      heap.destroy();
      pages.destroy();
    },
  });
}

/**
 * A WorkerHeap on a fresh SharedPages of `reserve` bytes. With `others`, as
 * many more WorkerHeaps on instances attached to the same handle (as other
 * workers' would be, here in one thread), each holding an allocation made
 * before the first heap's, so that their segments lie among its. Another
 * allocator's pointer is a run of one more instance, with no heap: refused
 * as foreign by the remote-free checks (with no others, by the heap's own,
 * as the run is then among the heap's pages).
 */
export function workerHeapSubject(
  reserve = 2 ** 24,
  { others = 0 }: { others?: number } = {},
): Subject<{ heap: WorkerHeap; pages: SharedPages; others: WorkerHeap[] }> {
  const pages = new SharedPages({ reserve });
  const instances = Array.from(
    { length: others },
    () => SharedPages.attach(pages.handle),
  );
  const rest = instances.map((p) => new WorkerHeap({ pages: p }));
  for (const other of rest) other.alloc(64);
  const heap = new WorkerHeap({ pages });
  const plain = SharedPages.attach(pages.handle);
  return subject({
    allocator: heap,
    handles: { heap, pages, others: rest },
    alignment: 16,
    maxSize: pages.reservedBytes - 2 * 4096,
    // The others hold pages of the same reservation.
    largest: others === 0 ? pages.reservedBytes - 2 * 4096 : undefined,
    olderFree: "frees",
    usage: { bytes: () => heap.bytesUsed, charge: heapCharge },
    // Remote frees come only from the others (a full scan counts them).
    state: () =>
      others === 0 ? heapState(heap.heap, pages) : {
        ...heapState(heap.heap, pages),
        waiting: heap.waitingFrees,
        othersUsed: rest.map((h) => h.bytesUsed),
      },
    validate: () => {
      if (heap.destroyed || pages.destroyed) return;
      heap.validate();
      for (const other of rest) other.validate();
    },
    probe: 24,
    destroy: () => heap.destroy(),
    destroyParent: () => pages.destroy(),
    // A run of an instance with no heap: a remote free refuses it at once.
    foreign: () => plain.alloc(4096),
    dispose: () => {
      heap.destroy();
      for (const other of rest) other.destroy();
      plain.destroy();
      pages.destroy();
    },
  });
}

/** A fresh page source. */
export function pagesSubject(
  source: SourceMaker,
  options?: { reserve?: number; retain?: number },
): Subject<{ pages: PageSource }> {
  const pages = source.make(options);
  return subject({
    allocator: pages,
    handles: { pages },
    alignment: 4096,
    maxSize: pages.reservedBytes,
    // Page 0 is null: never handed out.
    largest: pages.reservedBytes - 4096,
    olderFree: "frees",
    // Whole pages, one at least.
    usage: {
      bytes: () => pages.liveBytes,
      charge: (size) => (size <= 4096 ? 4096 : Math.ceil(size / 4096) * 4096),
    },
    state: () => ({
      live: pages.liveBytes,
      liveRuns: pages.liveRuns,
      freeRuns: pages.freeRuns,
      retained: pages.retainedBytes,
      committed: pages.committedBytes,
    }),
    probe: 4096,
    destroy: () => pages.destroy(),
    // The last page: never handed out, so the source holds it as free.
    foreign: () => pages.reservedBytes - 4096,
    dispose: () => pages.destroy(),
  });
}

/** An Arena on a fresh parent (on a page source of `reserve` bytes). */
export function arenaSubject(
  maker: ParentMaker,
  options: { blockSize?: number; alignment?: number; reserve?: number } = {},
): Subject<
  { arena: Arena; parent: Parent; marks: Record<string, ArenaMark> }
> {
  const parent = maker.make(options.reserve);
  const arena = new Arena({
    parent: parent.parent,
    blockSize: options.blockSize,
    alignment: options.alignment,
  });
  return subject({
    allocator: arena,
    handles: { arena, parent, marks: {} },
    alignment: arena.alignment,
    maxSize: arena.memory.byteLength,
    // (A block's header and what its parent can give decide it.)
    largest: undefined,
    olderFree: "keeps",
    state: () => ({
      used: arena.bytesUsed,
      capacity: arena.capacity,
      current: arena.currentBlock,
      blocks: arena.blocks,
    }),
    probe: 24,
    destroy: () => arena.destroy(),
    // A heap parent alone: its page source lives on, and a new heap on it
    // could hand out the arena's old blocks.
    destroyParent: () =>
      (parent.parent as unknown as { destroy(): void }).destroy(),
    foreign: () => parent.parent.alloc(64),
    clear: () => arena.clear(),
    dispose: () => {
      arena.destroy();
      parent[Symbol.dispose]();
    },
  });
}

/** The byte a fixed region's page holds before the region is used. */
export const DIRTY = 0x5a;

/**
 * A FixedAllocator over `length` bytes that start `start` bytes into a page,
 * in fresh pages that hold {@linkcode DIRTY} bytes, from a page before the
 * region to a byte past it.
 */
export function fixedSubject(
  source: SourceMaker,
  options: { start?: number; length: number; alignment?: number },
): Subject<{ fixed: FixedAllocator; pages: PageSource }> {
  const pages = source.make();
  const start = 4096 + (options.start ?? 0);
  const bytes = start + options.length + 1;
  const page = pages.alloc(bytes);
  pages.memory.fill(page, bytes, DIRTY);
  const fixed = new FixedAllocator({
    memory: pages.memory,
    ptr: page + start,
    length: options.length,
    alignment: options.alignment,
  });
  return subject({
    allocator: fixed,
    handles: { fixed, pages },
    alignment: fixed.alignment,
    maxSize: fixed.length,
    olderFree: "keeps",
    state: () => ({ used: fixed.bytesUsed }),
    probe: 0,
    // A fixed allocator is gone when its memory is.
    destroy: () => pages.destroy(),
    foreign: () => pages.alloc(4096),
    clear: () => fixed.clear(),
    dispose: () => pages.destroy(),
  });
}

/** A scratch region (on the worker's first scratch arena). */
export function scratchSubject(): Subject<
  { region: ScratchRegion }
> {
  const region = scratch();
  const arena = region.arena;
  const taken: number[] = [];
  return subject({
    allocator: region,
    handles: { region },
    alignment: 16,
    maxSize: region.memory.byteLength,
    largest: undefined,
    olderFree: "keeps",
    state: () => ({
      used: arena.bytesUsed,
      capacity: arena.capacity,
      current: arena.currentBlock,
    }),
    probe: 24,
    destroy: () => region.end(),
    foreign: () => {
      taken.push(arena.parent.alloc(64));
      return taken.at(-1)!;
    },
    dispose: () => {
      region.end();
      for (const p of taken) arena.parent.free(p, 64);
    },
  });
}

/**
 * A DebugAllocator over a Heap on a fresh page source, with no quarantine (so
 * that a freed block is reused at once, as the contract expects).
 */
export function debugSubject(
  source: SourceMaker,
  reserve = 2 ** 24,
): Subject<{ debug: DebugAllocator; heap: Heap; pages: PageSource }> {
  const pages = source.make({ reserve });
  const heap = new Heap({ pages });
  const debug = new DebugAllocator({ parent: heap, quarantine: 0 });
  return subject({
    allocator: debug,
    handles: { debug, heap, pages },
    alignment: 16,
    // Its blocks are the heap's, with 16-byte red zones on both sides.
    maxSize: pages.reservedBytes - 2 * 4096 - 32,
    olderFree: "frees",
    usage: {
      bytes: () => heap.bytesUsed,
      charge: (size) => heapCharge(size + 2 * debug.redZone),
    },
    state: () => ({
      live: debug.leaks().length,
      used: heap.bytesUsed,
      quarantined: debug.quarantined,
    }),
    validate: () =>
      debug.destroyed || heap.destroyed || pages.destroyed || debug.check(),
    probe: 24,
    destroy: () => {
      try {
        debug.destroy();
      } catch (e) {
        if ((e as Error).name !== "LeakError") throw e;
      }
    },
    destroyParent: () => heap.destroy(),
    foreign: () => heap.alloc(64),
    dispose: () => {
      heap.destroy();
      pages.destroy();
    },
  });
}

/**
 * A Pool of `blockSize` bytes on a fresh page source of `reserve` bytes, or
 * on a Heap on one (`onHeap`).
 */
export function poolSubject(
  source: SourceMaker,
  reserve = 2 ** 24,
  { blockSize = 12288, onHeap = false }: {
    blockSize?: number;
    onHeap?: boolean;
  } = {},
): Subject<{ pool: Pool; pages: PageSource; heap?: Heap }> {
  const pages = source.make({ reserve });
  const heap = onHeap ? new Heap({ pages }) : undefined;
  const pool = new Pool({ blockSize, parent: heap ?? pages });
  return subject({
    allocator: pool,
    handles: { pool, pages, heap },
    alignment: pool.alignment,
    maxSize: blockSize,
    olderFree: "frees",
    usage: { bytes: () => pool.bytesUsed, charge: () => blockSize },
    state: () => ({
      blocks: pool.blocks,
      used: pool.bytesUsed,
      reserved: pool.bytesReserved,
      slabs: pool.slabs,
      pagesLive: pages.liveBytes,
    }),
    validate: () =>
      pool.destroyed || pages.destroyed || heap?.destroyed || pool.validate(),
    probe: blockSize,
    destroy: () => pool.destroy(),
    destroyParent: () => (heap ?? pages).destroy(),
    foreign: () => pages.alloc(4096),
    dispose: () => {
      pool.destroy();
      heap?.destroy();
      pages.destroy();
    },
  });
}
