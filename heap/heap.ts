/**
 * {@linkcode Heap}: a size-class heap, like malloc, on any page source. Its
 * hot paths are here; the state and slow paths they call out to are in
 * `_heap_state.ts`, resize's body in `_resize.ts`.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { zeroBytes, zeroChunk } from "../internal/bytes.ts";
import type { Memory } from "../os/memory.ts";
import type { PageSource } from "../os/page_source.ts";
import * as geometry from "./_geometry.ts";
import { alignedClass } from "./_geometry.ts";
import { overAligned } from "./_alignment.ts";
import { HeapState } from "./_heap_state.ts";
import * as large from "./_large_blocks.ts";
import * as runCache from "./_run_cache.ts";
import { classStats, inspectPointer } from "./_inspect.ts";
import { checkedResize, resizeBlock } from "./_resize.ts";
import { checkNumber } from "../internal/checks.ts";
import { ENDS_HERE } from "../internal/parent_chain.ts";
import * as table from "./_span_table.ts";
import type { SpanTable } from "./_span_table.ts";
import type {
  ClassStats,
  HeapOptions,
  LargeInfo,
  SpanInfo,
} from "./heap_types.ts";

// V8 reads an imported binding through its module cell at every use and
// never folds it into the code, while a module's own const is folded: with
// imported constants an alloc+free pair ran ~170 machine instructions more
// (of ~450). So the hot paths use these local copies.
const { ALIGNED_OFFSET, BITMAP_WORD_SHIFT, BITMAP_WORDS, CHUNK_STARTS } =
  geometry;
const { CHUNK_SHIFT, CHUNKS, CLASS_OF, CLASS_SIZE } = geometry;
const { ALIGNED_CLASS_OF, ALIGNED_ROW_OF, MAX_SMALL, SPAN_SIZE } = geometry;
const { ANY_SPAN, BITS, FITS, FRESH } = table;
const { FREED_LARGE, LARGE } = table;
const { CACHE_MAX } = large;
const { CACHE_BYTES, CACHE_DEPTH, DRAIN_FREES, KEPT_BYTES } = runCache;
const { MAX_USED_DELTA, STREAK, USED_DELTA } = runCache;

// Per span class, the live count from which #allocChunk leaves a pop to
// #allocOff: the chunks of a span (the pop fills it: it moves to the full
// list), or 0 above 256 bytes (zeroChunk's general loop zeroes the chunk).
const OFF_AT: Uint16Array = CHUNKS.map((chunks, cls) =>
  CLASS_SIZE[cls] > 256 ? 0 : chunks
);

// Whether `next`, the link alloc popped from the free chunk at `rel` of the
// span of class `cls` whose row starts at `row`, is a free chunk's start
// (docs/design.md#free-list-repair): a 16-aligned offset in the span,
// handed out before (below FRESH), not the chunk itself, where a chunk of
// the class starts, and not allocated. Out of alloc, so that alloc and
// free stay small enough for V8 to inline both into their callers.
function isFreeChunk(
  m: Int32Array,
  row: number,
  cls: number,
  rel: number,
  next: number,
): boolean {
  const word = next >> BITMAP_WORD_SHIFT,
    bit = 1 << ((next >> CHUNK_SHIFT) & 31);
  return (next & ALIGNED_OFFSET) === next && next < m[row + FRESH] &&
    next !== rel && (CHUNK_STARTS[cls * BITMAP_WORDS + word] & bit) !== 0 &&
    (m[row + BITS + word] & bit) === 0;
}

/** The class of a chunk for `size` bytes, or -1 for a large block. */
function smallClass(size: number): number {
  return (typeof size === "number" ? CLASS_OF[size] : undefined) ?? -1;
}

/**
 * The span class of a chunk for `size` bytes at `alignment` (checked: a
 * TypeError or RangeError if it is no power of two up to 65536): a class,
 * an aligned twin above 16 (docs/design.md#heap-alignment), or -1 for a
 * large block.
 */
function classFor(size: number, alignment: number): number {
  const over = overAligned(alignment);
  if (typeof size !== "number" || size >>> 0 !== size) return -1;
  return over ? alignedClass(size, alignment) : smallClass(size);
}

/**
 * A general-purpose heap like `malloc`: 16 size classes carved out of 4 KiB
 * spans, and page runs from the page source for anything above 2016 bytes.
 * It implements {@linkcode Allocator} (sizes passed back are checked) and the
 * malloc-style {@linkcode Heap.alloc}, {@linkcode Heap.realloc} and
 * {@linkcode Heap.free} (no sizes needed).
 *
 * ```
 *  segment (64 KiB from the page source)
 *  ┌────────┬────────┬────────┬─────┬────────┐
 *  │ header │ span 1 │ span 2 │ ... │ span15 │   span 1 is used at once,
 *  │ 4 KiB  │ 4 KiB  │        │     │        │   2..15 go on the empty list
 *  └────────┴────────┴────────┴─────┴────────┘
 *  span (one page, one class)
 *  ┌─────────┬─────────┬─────────┬─────┬─────────┬──────┐
 *  │ 48 B    │ chunk 0 │ chunk 1 │ ... │ chunk n │ tail │  chunks from
 *  │ header  │         │         │     │         │      │  span + 48, up
 *  └─────────┴─────────┴─────────┴─────┴─────────┴──────┘
 *  free chunk: [old bytes ...] (its offset is on the span's free-chunk stack)
 *  large block: [user bytes ...] roundUp(size, 4096), from a page's start
 * ```
 *
 * (docs/design.md#heap-geometry has the full geometry and its invariants.)
 *
 * A request goes to the first class at least its size (16, 32, 48, 64, 96,
 * 128, 192, 256, 336, 448, 576, 672, 800, 1008, 1344, 2016), which allocates
 * from its first partial span; a span whose last chunk is freed goes back to
 * the shared empty list, for any class. A segment whose spans are all empty
 * goes back to the page source on {@linkcode Heap.trim}, or once it has sat
 * empty for the decay time; {@linkcode Heap.destroy} gives back the rest.
 * A freed block of up to 16 pages is kept for the next block of its page
 * count ({@linkcode Heap.retainedBytes}, up to 1 MiB), so a medium pair
 * makes no page-source call; trim and decay give those back too.
 * Every allocation reads as zero, but freeing touches no memory: a chunk or
 * a kept run is zeroed when it is handed out again.
 *
 * The bookkeeping lives in typed arrays, not in the spans, so a stray write
 * into memory cannot make the heap accept a bad pointer or hand out a wrong
 * one. Freeing or resizing anything that is not the start of a live
 * allocation throws a {@linkcode PointerError} (reasons `foreign`,
 * `interior`, `unaligned`, `double-free`, `out-of-range`, `size-mismatch`)
 * and changes nothing; these checks are always on. A write after free that
 * breaks a free chunk's link is found when the chunk is reused: the heap
 * rebuilds that span's free list and throws a {@linkcode HeapCorruptionError}
 * once, and later allocations succeed.
 *
 * `alloc`, `allocUnsafe` and `resize` take an alignment, a power of two up
 * to 65536 that the block's real address is a multiple of. Up to 16 it is
 * what every pointer has; from 32 to 256 a small request takes a chunk of an
 * aligned twin of a class (the smallest whose size the alignment divides);
 * anything else is a large block, at least a page
 * (docs/design.md#heap-alignment).
 *
 * @example Allocate, write, resize, free
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(100); // class 128
 * heap.memory.bytes(p, 3).set([1, 2, 3]);
 * const q = heap.realloc(p, 120); // same class: same pointer
 * assert.equal(q, p);
 * const r = heap.resize(q, 120, 5000); // large now: moved, bytes kept
 * assert.deepEqual([...heap.memory.bytes(r, 4)], [1, 2, 3, 0]);
 * assert.equal(heap.bytesUsed, 5000);
 * heap.free(r);
 * assert.equal(heap.bytesUsed, 0);
 * // Its segment is kept, and r's two pages, for the next medium block.
 * assert.equal(heap.bytesReserved, 4096 + 65536 + 8192);
 * heap.validate();
 * ```
 *
 * @example Aligned blocks
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(100, 64); // a chunk of class 128's aligned twin
 * assert.equal(p % 64, 0);
 * assert.equal(heap.usableSize(p), 128);
 * assert.equal(heap.bytesUsed, 128); // its chunk, as for any chunk
 * const q = heap.resize(p, 100, 20, 64); // shrunk, still aligned: in place
 * assert.equal(q, p);
 * const big = heap.alloc(100, 512); // no twin is 512-aligned: a page
 * assert.equal(heap.usableSize(big), 4096);
 * const r = heap.alloc(3000, 65536); // an aligned run from the page source
 * assert.equal(r % 65536, 0);
 * heap.free(q, 20); // no alignment needed to free
 * heap.free(big, 100);
 * heap.free(r, 3000);
 * assert.equal(heap.bytesUsed, 0);
 * heap.validate();
 * ```
 */
export class Heap implements Allocator, Disposable {
  /** The memory the heap's pointers address: its page source's. */
  readonly memory: Memory;
  // The fast paths' state, each one field load away: the memory's views
  // (emptied when it is revoked, as detaching does: a fast path that reads
  // undefined takes the slow way, which says why), the span table's rows
  // and each class's first partial span.
  #f64: Float64Array;
  #u32: Uint32Array;
  #u8: Uint8Array;
  #meta: Int32Array;
  #partial: Int32Array;
  // The large blocks, their table, the medium cache's stacks and counts,
  // and the largest size a kept medium run may serve.
  #large: large.LargeBlocks;
  #table: SpanTable;
  #keptRuns: Int32Array;
  #kept: Int32Array;
  #maxKept: number;
  // Whether a freed medium block needs no decay timer armed (one is, or
  // decay is off): its free tests it rather than calling out.
  #timed: boolean;
  // Everything else, and the slow paths that use it.
  #state: HeapState;

  /**
   * Makes a heap; it takes one page from the page source for itself.
   *
   * @param options The page source to use (default: a new `defaultPages()`).
   */
  constructor(options: HeapOptions = {}) {
    const state = new HeapState(options);
    this.#state = state;
    this.memory = state.memory;
    this.#f64 = this.memory.f64;
    this.#u32 = this.memory.u32;
    this.#u8 = this.memory.u8;
    state.onRevoked = () => {
      this.#u8 = new Uint8Array(0);
      this.#u32 = new Uint32Array(0);
      this.#f64 = new Float64Array(0);
    };
    this.#meta = state.table.meta;
    state.table.onMeta = (meta) => this.#meta = meta;
    this.#partial = state.spans.partial;
    this.#large = state.large;
    this.#table = state.table;
    this.#keptRuns = state.large.cache.runs;
    this.#kept = state.large.cache.counts;
    this.#maxKept = state.maxKept;
    this.#timed = state.decayMs === Infinity;
    state.onTimed = (timed) => this.#timed = timed;
    state.allocBlock = (size, zeroFrom, alignment) =>
      this.#allocFor(size, zeroFrom, alignment);
  }

  /** The page source the heap takes its pages from. */
  get pages(): PageSource {
    return this.#state.pages;
  }

  /** Sum of the class sizes of live small allocations and the sizes of live large ones. */
  get bytesUsed(): number {
    return this.#state.bytesUsed;
  }

  /**
   * 4096 for the heap itself, 65536 per segment, and the capacity of every
   * live large block; 0 after {@linkcode Heap.destroy}.
   */
  get bytesReserved(): number {
    return this.#state.destroyed ? 0 : this.#state.reserved;
  }

  /** The highest {@linkcode Heap.bytesReserved} ever reached. */
  get peakReserved(): number {
    return this.#state.peakReserved;
  }

  /** Live spans: spans holding at least one allocation. */
  get liveSpans(): number {
    return this.#state.spans.liveSpans;
  }

  /** Empty spans: every span of every segment that holds no allocation. */
  get emptySpans(): number {
    return this.#state.emptySpans;
  }

  /** Live large blocks. */
  get largeBlocks(): number {
    return this.#state.large.count;
  }

  /** Segments taken from the page source and not given back. */
  get segments(): number {
    return this.#state.segments.count;
  }

  /**
   * Bytes of freed medium blocks (up to 64 KiB) the heap keeps, as whole
   * runs, for the next block of the same page count; counted in
   * {@linkcode Heap.bytesReserved}, at most 1 MiB, and given back by
   * {@linkcode Heap.trim}, decay and destroy.
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using heap = new Heap({ pages });
   * const p = heap.alloc(8192);
   * heap.free(p, 8192);
   * assert.equal(heap.retainedBytes, 8192); // kept, not given back
   * assert.equal(heap.bytesReserved, 4096 + 8192);
   * assert.equal(heap.alloc(5000), p); // two pages again: the same run
   * heap.free(p, 5000);
   * assert.equal(heap.trim(), 8192);
   * assert.equal(heap.retainedBytes, 0);
   * ```
   */
  get retainedBytes(): number {
    return this.#state.destroyed ? 0 : this.#state.large.cache.bytes;
  }

  /** The bytes {@linkcode Heap.trim} would give back now. */
  get trimmableBytes(): number {
    return this.#state.trimmable;
  }

  /**
   * The largest size that {@linkcode Heap.alloc} can be asked for: the page
   * source's reservation less its page 0 (null, never handed out) and the
   * heap's own page. On a fresh page source an allocation of it succeeds. A
   * larger size is a `RangeError` that says so (a smaller one may still find
   * no room: an `OutOfMemoryError`).
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using heap = new Heap({ pages: new BufferPages({ reserve: 2 ** 20 }) });
   * assert.equal(heap.maxSize, 2 ** 20 - 2 * 4096);
   * assert.throws(() => heap.alloc(heap.maxSize + 1), RangeError);
   * heap.free(heap.alloc(heap.maxSize));
   * ```
   */
  get maxSize(): number {
    return this.#state.maxSize;
  }

  /**
   * The bytes of the heap's own bookkeeping, outside the page source's
   * memory: its span table (80 bytes per page number it covers, up to the
   * highest page it holds and a quarter more), its list heads and the
   * medium cache's stacks (224 and 588 bytes). It falls
   * when {@linkcode Heap.trim} or decay gives the highest pages back, and
   * {@linkcode Heap.destroy} frees it (0 afterwards).
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 26 });
   * using heap = new Heap({ pages });
   * const start = heap.tableBytes;
   * const big = heap.alloc(2 ** 24);
   * const small = heap.alloc(16); // a segment past the 4096 pages of big
   * assert.ok(heap.tableBytes >= 4096 * 80);
   * heap.free(big);
   * heap.free(small);
   * heap.trim();
   * assert.equal(heap.tableBytes, start);
   * ```
   */
  get tableBytes(): number {
    return this.#state.tableBytes;
  }

  /**
   * `destroyed` changes only by {@linkcode Heap.destroy}, which counts it
   * for the allocators on the heap.
   */
  get [ENDS_HERE](): boolean {
    return true;
  }

  /** Whether {@linkcode Heap.destroy} has been called. */
  get destroyed(): boolean {
    return this.#state.destroyed;
  }

  /**
   * Allocates `size` zero-filled bytes: a chunk of the first class at least
   * `size` (0 takes 16), with an alignment from 32 to 256 a chunk of the
   * first aligned twin that holds it, or else a large block (above 2016
   * bytes, or an alignment no twin serves). Pointers are multiples of 16
   * (and of `alignment`, in real address). If it finds the span's free list broken by a write after
   * free, it repairs the span and throws a {@linkcode HeapCorruptionError}
   * (nothing allocated; the next call succeeds).
   *
   * @param size The number of bytes.
   * @param alignment A power of two from 1 to 65536 that the block's real
   *   address is a multiple of (default 16, the heap's natural alignment).
   *   From 32 to 256 a small request takes an aligned twin's chunk;
   *   beyond, or where no twin holds the size, a large block.
   * @returns A non-null pointer.
   */
  alloc(size: number, alignment?: number): number {
    // The common case written out, so that V8 inlines alloc and free both
    // into a caller (its budget is bytecode size): a size of a class (a
    // string would index the table as its number: typeof first), else
    // #allocOther.
    if (alignment === undefined && typeof size === "number") {
      const cls = CLASS_OF[size];
      if (cls !== undefined) return this.#allocChunk(cls, 0);
    }
    return this.#allocOther(size, 0, alignment);
  }

  // alloc or allocUnsafe of anything but a class's size without an
  // alignment: an aligned twin's chunk or a large block.
  #allocOther(
    size: number,
    zeroFrom: number,
    alignment: number | undefined,
  ): number {
    return alignment === undefined
      ? this.#allocLarge(size, zeroFrom, undefined)
      : this.#allocAligned(size, zeroFrom, alignment);
  }

  // An aligned twin's chunk for a power of two from 32 to 256, checked
  // here in a few bytes of bytecode, so that alloc, this and free leave
  // V8's inlining budget room for #allocChunk too (through classFor's full
  // checks the aligned 64-byte pair was 1.22-1.29x the plain one, in
  // bench/alloc_bench.ts); anything else takes #allocFor.
  #allocAligned(size: number, zeroFrom: number, alignment: number): number {
    // (A string would index the table as its number: typeof first.)
    if (
      typeof alignment === "number" && typeof size === "number" &&
      size >>> 0 === size
    ) {
      const row = ALIGNED_ROW_OF[alignment];
      if (row >= 0 && size <= MAX_SMALL) {
        const cls = ALIGNED_CLASS_OF[row + ((size + 15) >> 4)];
        if (cls >= 0) return this.#allocChunk(cls, zeroFrom & ~15);
      }
    }
    return this.#allocFor(size, zeroFrom, alignment);
  }

  // alloc for resize: a block for `size` at `alignment` (checked), reading
  // as zero from `zeroFrom` on (a chunk from its 16-byte step down).
  #allocFor(
    size: number,
    zeroFrom: number,
    alignment: number | undefined,
  ): number {
    const cls = alignment === undefined
      ? smallClass(size)
      : classFor(size, alignment);
    if (cls < 0) return this.#allocLarge(size, zeroFrom, alignment);
    return this.#allocChunk(cls, zeroFrom & ~15);
  }

  // The fast path (docs/design.md#the-fast-path): pops the first free chunk
  // of span class `cls`'s first partial span, zeroed from byte `zeroFrom`
  // (a multiple of 16) on. Page 0 is never a span, and its row reads 0, so
  // a class with no span takes the slow way too. Row words are reached by
  // `|` (row is a multiple of 16) and indexes by shifts: V8 emits no
  // overflow or remainder check for them.
  #allocChunk(cls: number, zeroFrom: number): number {
    // Row words and shifts as literals (ROW 16: LIST 2, its head in bits
    // 0..11 and one chunk 4096, BITS 8; pages of 4096 bytes; bit (rel >> 4)
    // & 31 of bitmap word rel >> 9): V8's inlining budget counts bytecode,
    // where each module constant is a 4-byte load, and with the names alloc
    // and free did not both fit into bench/alloc_bench.ts's pair
    // (tests/heap_tables_test.ts holds the values).
    const span = this.#partial[cls], m = this.#meta;
    const row = span << 4, list = m[row | 2], rel = list & 4095;
    // The chunk's first word links to the next free one, the head once the
    // chunk is taken (a checked link is below 4096), with one more used.
    const ptr = span * 4096 + rel, next = this.#u32[ptr / 4];
    const after = list - rel + next + 4096;
    // Every rare case takes the one way out (a second would cost the
    // bytecode that keeps free inlined beside alloc): no free chunk, a
    // class above 256 bytes or a span that fills (OFF_AT), or a link that
    // is no free chunk's start, overwritten after the free (#allocOff
    // repairs the span rather than hand a live chunk out twice; an empty
    // view of a revoked memory reads undefined, and the repair says so).
    if (
      rel === 0 || after >> 12 >= OFF_AT[cls] ||
      (next !== 0 && !isFreeChunk(m, row, cls, rel, next))
    ) return this.#allocOff(cls, zeroFrom);
    m[row | 2] = after;
    m[row | 8 | (rel >> 9)] |= 1 << ((rel >> 4) & 31);
    // The chunk holds what was in it when it was freed: zero it now, while
    // the caller is about to touch it anyway, by stores (zeroChunk's
    // general loop cost ~3 ns more per 16-byte pair, bench/alloc_bench.ts).
    const f64 = this.#f64;
    for (
      let w = (ptr + zeroFrom) / 8, end = (ptr + CLASS_SIZE[cls]) / 8;
      w < end;
      w += 2
    ) {
      f64[w] = 0;
      f64[w + 1] = 0;
    }
    return ptr;
  }

  // #allocChunk's rare cases, for class `cls`, zeroed from `zeroFrom` on:
  // an empty free list first, here: the fresh part of the class's first
  // partial span while it lasts, never handed out since the span was taken
  // (zero already), else a new span. A tree of nodes built from spans a drop
  // emptied takes every chunk this way: through HeapState's general path it
  // was 17% of bench/binary_trees.ts heap, and this stays small enough for
  // V8 to inline into the caller (with the pop below in it, ~2 ns a node
  // more). Anything else: #allocPop.
  #allocOff(cls: number, zeroFrom: number): number {
    const span = this.#partial[cls], m = this.#meta, row = span << 4;
    const list = m[row | 2];
    if ((list & 4095) !== 0) return this.#allocPop(cls, zeroFrom);
    const fresh = m[row | 3], size = CLASS_SIZE[cls];
    if (span === 0 || fresh + size > SPAN_SIZE || this.#u8.length === 0) {
      return this.#state.allocFresh(cls, span);
    }
    m[row | 3] = fresh + size;
    m[row | 8 | (fresh >> 9)] |= 1 << ((fresh >> 4) & 31);
    const after = list + 4096;
    m[row | 2] = after;
    if (after >> 12 === CHUNKS[cls]) this.#state.toFull(cls);
    return span * SPAN_SIZE + fresh;
  }

  // The pop #allocChunk left: a broken list (the repair's error), a pop
  // that fills the span (it moves to the full list), or a chunk above 256
  // bytes (zeroed from `zeroFrom` on by zeroChunk's general loop).
  #allocPop(cls: number, zeroFrom: number): number {
    const span = this.#partial[cls], m = this.#meta, row = span << 4;
    const list = m[row | 2], rel = list & 4095;
    const ptr = span * SPAN_SIZE + rel, next = this.#u32[ptr / 4];
    if (next !== 0 && !isFreeChunk(m, row, cls, rel, next)) {
      throw this.#state.repair(span, cls, rel, next);
    }
    const after = list - rel + next + 4096;
    m[row | 2] = after;
    m[row | 8 | (rel >> 9)] |= 1 << ((rel >> 4) & 31);
    if (after >> 12 === CHUNKS[cls]) this.#state.toFull(cls);
    const size = CLASS_SIZE[cls];
    zeroChunk(this.#f64, this.#u8, ptr + zeroFrom, size - zeroFrom);
    return ptr;
  }

  /**
   * Allocates `size` bytes that may still hold what was in them before, as
   * Node's `Buffer.allocUnsafe` does: a speed tool for a block the caller
   * writes whole at once (`alloc` zeroes because otherwise bytes this
   * process freed — anyone's data — become visible). The bytes past `size`
   * (up to {@linkcode Heap.usableSize}) read as zero, so a resize that grows
   * it shows no old bytes.
   * Otherwise the same as {@linkcode Heap.alloc}.
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using heap = new Heap({ pages });
   * const p = heap.alloc(64);
   * heap.memory.u8.fill(7, p, p + 64);
   * heap.free(p);
   * const q = heap.allocUnsafe(64); // the same chunk, its bytes as they were
   * assert.equal(q, p);
   * assert.equal(heap.memory.u8[q + 20], 7);
   * heap.free(q);
   * ```
   *
   * @param size The number of bytes.
   * @param alignment As for {@linkcode Heap.alloc}.
   * @returns A non-null pointer.
   */
  allocUnsafe(size: number, alignment?: number): number {
    // Zero past the size (a chunk from its 16-byte step down), as alloc's
    // blocks read.
    if (alignment === undefined && typeof size === "number") {
      const cls = CLASS_OF[size];
      if (cls !== undefined) return this.#allocChunk(cls, size & ~15);
    }
    return this.#allocOther(size, size, alignment);
  }

  /**
   * Frees an allocation. `size` may be left out (malloc-style); if given, it
   * must be the size allocated or last resized to; for a small allocation
   * any size of the same class passes (it is checked by range). Freeing 0
   * does nothing.
   *
   * @param ptr The allocation, or 0.
   * @param size The size it was allocated with, if known.
   */
  free(ptr: number, size?: number): void {
    // 32-bit integer arithmetic (float division cost ~2 ns per pair,
    // bench/alloc_bench.ts): a pointer that `>>> 0` changes (negative,
    // fractional, or at 4 GiB and above in a larger memory) fails the test
    // below and takes the slow way, which handles every pointer.
    // Row words and shifts as literals, as in #allocChunk (KIND 0, LIST 2,
    // MOVE_AT 7, BITS 8; bit (ptr >> 4) & 31 of bitmap word (ptr >> 9) & 7).
    // One way out to the slow way, and one test of size and kind (FITS):
    // with less bytecode V8 inlines free beside alloc and a write (the
    // 16-byte pair of bench/alloc_bench.ts went from 27-30 to 21-22 ns).
    // (A bigint would throw in the shifts: typeof first.)
    if (typeof ptr === "number") {
      const m = this.#meta, u32 = this.#u32;
      const row = (ptr >>> 12) << 4, kind = m[row];
      const word = row | 8 | ((ptr >> 9) & 7), bit = 1 << ((ptr >> 4) & 31);
      // A live chunk: a 32-bit 16-aligned pointer (one test: `& -16` keeps
      // only those), a span's page whose class takes `size` (undefined past
      // the table: bit 0, never set; a fractional or negative size: no
      // row), its allocated bit set. An empty view means the memory is
      // gone. Anything else: the slow way, which says what is wrong.
      const fits = size === undefined
        ? ANY_SPAN
        : typeof size === "number"
        ? FITS[size]
        : 0;
      const bits = m[word] ^ bit;
      if (
        (ptr & -16) >>> 0 === ptr && ((fits >> kind) & 1) !== 0 &&
        (bits & bit) === 0 && u32.length !== 0
      ) {
        m[word] = bits;
        // Push the chunk on its span's free list, through its first word
        // (the rest of its bytes stay as they are until it is handed out
        // again). The chunk is the head now, one fewer used.
        const list = m[row | 2], head = list & 4095;
        u32[ptr >>> 2] = head;
        // (`ptr | -4096` is the chunk's offset in the span less 4096.)
        const after = list - head + (ptr | -4096), used = after >> 12;
        m[row | 2] = after;
        // A span that empties or is no longer full moves, unless it stays
        // its class's only partial span with the decay timer armed (the
        // common case of a pair): its MOVE_AT word says when.
        if (used === m[row | 7]) this.#state.moveSpan(ptr >>> 12, used);
        return;
      }
    }
    this.#freeLarge(ptr, size);
  }

  // A block above the classes (or at an alignment no twin serves): first
  // the run the medium cache kept last for its page count, taken here with
  // no call and no check but these (docs/design.md#medium-blocks: the cache
  // holds runs only on a live heap, for sizes it served before; the run is
  // on the block list already, its capacity in its row), else the checked
  // slow path.
  #allocLarge(
    size: number,
    zeroFrom: number,
    alignment: number | undefined,
  ): number {
    // Row words and shifts as literals, as in #allocChunk (ROW 16, KIND 0,
    // DIRTY_PAGES 7; pages of 4096 bytes), for less bytecode: V8's inlining
    // budget still holds alloc and free but not this and #freeLarge too (a
    // medium pair makes two calls). (Page count 0, of size 0 at an
    // alignment, reads undefined: no run.)
    if (
      typeof size === "number" && size >>> 0 === size &&
      size <= this.#maxKept &&
      (alignment === undefined || alignment <= 4096) && this.#u8.length !== 0
    ) {
      const pages = (size + 4095) >>> 12, kept = this.#kept;
      const n = kept[pages - 1], used = kept[USED_DELTA] + size;
      kept[STREAK] = 0;
      if (n > 0 && used < MAX_USED_DELTA) {
        kept[pages - 1] = n - 1;
        kept[KEPT_BYTES] -= pages << 12;
        kept[USED_DELTA] = used;
        const page = this.#keptRuns[(pages - 1) * CACHE_DEPTH + n - 1];
        const m = this.#meta, row = page << 4;
        m[row] = LARGE;
        m[row | 7] = 0;
        this.#table.largeSize[page] = size;
        // Its last block could have written all of it (usableSize is the
        // capacity): every byte from `zeroFrom` on may be old.
        if (pages << 12 > zeroFrom) this.#zeroRun(page, zeroFrom, pages);
        return page * SPAN_SIZE; // (not `<< 12`: pages from 2 GiB on)
      }
    }
    return this.#state.allocLarge(size, zeroFrom, alignment);
  }

  // Zeroes the kept run of `pages` pages from `page` from byte `zeroFrom` on.
  #zeroRun(page: number, zeroFrom: number, pages: number): void {
    zeroBytes(
      this.memory,
      page * SPAN_SIZE + zeroFrom,
      (page + pages) * SPAN_SIZE,
    );
  }

  // free of anything but a live chunk: a live large block's row is the one
  // check of its pointer and size (a shift below 4 GiB, no division). A
  // medium block goes onto the cache's stack for its page count here, with
  // no call, when the stack and the byte cap have room, no drain is under
  // way and no decay timer needs arming; the rest (other blocks, 0, an
  // error, a pointer above 4 GiB) takes the slow way.
  #freeLarge(ptr: number, size: number | undefined): void {
    if (typeof ptr !== "number") return checkNumber(ptr, "Pointer");
    const page = ptr >>> 12, t = this.#table, m = this.#meta;
    const row = page << 4, live = t.largeSize[page];
    if (
      !(ptr >>> 0 === ptr && (ptr & 4095) === 0 && m[row] === LARGE &&
        (size === undefined || size === live) && this.#u8.length !== 0)
    ) return this.#state.freeSlow(ptr, size);
    const capacity = t.largeCapacity[page], kept = this.#kept;
    const pages = capacity >>> 12, n = kept[pages - 1];
    const bytes = kept[KEPT_BYTES] + capacity, used = kept[USED_DELTA] - live;
    if (
      capacity > CACHE_MAX || n === CACHE_DEPTH || bytes > CACHE_BYTES ||
      kept[STREAK] >= DRAIN_FREES || used <= -MAX_USED_DELTA || !this.#timed
    ) return this.#large.free(page);
    kept[STREAK]++;
    this.#keptRuns[(pages - 1) * CACHE_DEPTH + n] = page;
    kept[pages - 1] = n + 1;
    kept[KEPT_BYTES] = bytes;
    kept[USED_DELTA] = used;
    // It stays on the block list, marked freed.
    m[row] = FREED_LARGE;
  }

  /**
   * Resizes an allocation ({@linkcode Allocator.resize}). Small to the same
   * class keeps the pointer and zeroes the bytes past the new size; large to
   * a size still above 2016 that fits the block keeps the pointer and its own
   * bytes past the new size (zeroed if it grows over them again; no other
   * allocation's bytes are ever there); everything else moves
   * (copying `min(old, new)` bytes) and frees the old allocation. If it
   * throws, the old allocation is untouched.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated or last resized with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment As for {@linkcode Heap.alloc}; the block returned has
   *   it. A block stays where it is when its address has the alignment and
   *   it fits (a chunk whose class or twin serves the new size, a large
   *   block within its capacity or growing in place), and otherwise moves
   *   where `alloc(newSize, alignment)` would put it; left out, a large
   *   block shrunk to 2016 bytes or less moves into a chunk (16-aligned).
   *   If no chunk can be had (the page source has no room for its segment),
   *   such a block whose address has the alignment stays where it is
   *   instead, a large block of the new size: a shrink never fails.
   * @returns The pointer to use from now on (0 if freed).
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    // (A bigint would throw in the resize's arithmetic.)
    checkNumber(ptr, "Pointer");
    checkNumber(newSize, "New size");
    return checkedResize(this.#state, ptr, oldSize, newSize, alignment);
  }

  /**
   * Resizes an allocation without being told its old size, like C
   * `realloc`; otherwise the same as {@linkcode Heap.resize}.
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using heap = new Heap({ pages });
   * let p = heap.realloc(0, 10); // allocates
   * heap.memory.u8[p] = 9;
   * p = heap.realloc(p, 3000); // moves to a large block, keeps the byte
   * assert.equal(heap.memory.u8[p], 9);
   * assert.equal(heap.realloc(p, 0), 0); // frees
   * ```
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param size The size wanted; 0 frees.
   * @returns The pointer to use from now on (0 if freed).
   */
  realloc(ptr: number, size: number): number {
    checkNumber(ptr, "Pointer");
    checkNumber(size, "Size");
    return resizeBlock(this.#state, ptr, undefined, size, undefined);
  }

  /**
   * The bytes the live allocation at `ptr` can hold: its class size for a
   * small one, its capacity past the pointer for a large one (like glibc's
   * `malloc_usable_size`). A resize to any size up to it that stays in the
   * same class, or above 2016 bytes in the same block, keeps the pointer:
   * that is how to use the slack. Until then the bytes past the size are
   * the heap's, kept zero so that a resize over them needs no zeroing, and
   * {@linkcode Heap.validate} reports a write there in a large block as an
   * overrun (except past a large block shrunk in place: the bytes it gave
   * up keep what they held, and are zeroed if it grows over them again).
   * Anything but the start of a live allocation throws the
   * {@linkcode PointerError} `free` would.
   *
   * @example A 36-byte record in a 48-byte chunk
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using heap = new Heap({ pages });
   * const p = heap.alloc(36);
   * assert.equal(heap.usableSize(p), 48);
   * assert.equal(heap.resize(p, 36, 48), p); // within it: never moves
   * const big = heap.alloc(5000);
   * assert.equal(heap.usableSize(big), 8192);
   * assert.throws(() => heap.usableSize(p + 16), /not at the start/);
   * ```
   *
   * @param ptr A live allocation.
   * @returns Its usable bytes.
   */
  usableSize(ptr: number): number {
    if (typeof ptr !== "number") checkNumber(ptr, "Pointer");
    return this.#state.usableSize(ptr);
  }

  /**
   * Describes the span or large block that `ptr` points into (any byte of
   * it), or returns `null` if `ptr` is in neither.
   *
   * @param ptr Any pointer.
   * @returns The span or large block, or `null`.
   */
  inspect(ptr: number): SpanInfo | LargeInfo | null {
    if (typeof ptr !== "number") checkNumber(ptr, "Pointer");
    this.#state.checkLive();
    return inspectPointer(this.#state.table, this.#state.large, ptr);
  }

  /**
   * Statistics for each of the 16 classes, smallest first (walks the span
   * lists, so it costs one step per live span).
   *
   * @returns One entry per class.
   */
  classStats(): ClassStats[] {
    this.#state.checkLive();
    return classStats(this.#state.table, this.#partial, this.#state.spans.full);
  }

  /**
   * Checks every list, span, free list, bitmap, large block and counter, and
   * that memory never handed out (span headers, the fresh part of each span,
   * the bytes past a large block's size) reads as zero, so a write past the
   * end is found; free chunks keep their old bytes until reused, so only
   * their links are checked. Throws a {@linkcode HeapCorruptionError} naming
   * the first inconsistency and where (`span`, `chunk` and `link` for a
   * broken link); it changes nothing (the `alloc` that meets a broken link
   * repairs its span). It walks all the heap's memory: for tests and
   * debugging.
   *
   * @example Finding a write past the end
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using heap = new Heap({ pages });
   * const p = heap.alloc(64);
   * heap.memory.u8[p + 64 + 20] = 1; // a bug: past the end of p's chunk
   * assert.throws(() => heap.validate(), /should read as zero/);
   * heap.memory.u8[p + 64 + 20] = 0;
   * heap.validate();
   * heap.free(p);
   * ```
   */
  validate(): void {
    this.#state.validate(this.#partial);
  }

  /**
   * Gives every segment whose spans are all empty back to the page source
   * (which keeps or purges the pages by its own decay rule), and returns the
   * bytes given back; `bytesReserved` falls by as much. A timer does the
   * same for segments that have stayed empty for half to all of the heap's `decayMs`.
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using heap = new Heap({ pages });
   * const ptrs = Array.from({ length: 100 }, () => heap.alloc(1000));
   * assert.equal(heap.segments, 2);
   * for (const p of ptrs) heap.free(p);
   * assert.equal(heap.trimmableBytes, 2 * 65536);
   * assert.equal(heap.trim(), 2 * 65536);
   * assert.equal(heap.bytesReserved, 4096); // just the heap's own page
   * ```
   *
   * @returns The bytes given back.
   */
  trim(): number {
    return this.#state.trim();
  }

  /**
   * Gives every segment, large block and the heap's own page back to the
   * page source (and destroys the page source if the heap made it). Every
   * call afterwards throws a {@linkcode DestroyedError} (freeing 0 still does
   * nothing); the counters read 0 but for `peakReserved`. Calling it again
   * does nothing.
   *
   * @example
   * ```ts
   * import { Heap } from "@sp/mem/heap";
   * import { BufferPages, DestroyedError } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * const heap = new Heap({ pages });
   * const p = heap.alloc(100);
   * heap.alloc(10000);
   * heap.destroy();
   * assert.equal(pages.liveBytes, 0); // every page is back
   * assert.throws(() => heap.free(p), DestroyedError);
   * ```
   */
  destroy(): void {
    this.#state.destroy();
  }

  /** Same as {@linkcode Heap.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }
}
