/**
 * {@linkcode Heap}: the size-class heap of SPEC §2 on any page source.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { checkPointer, checkSize, hex } from "../os/_checks.ts";
import { defaultPages } from "../os/default_pages.ts";
import {
  DestroyedError,
  OutOfMemoryError,
  PointerError,
} from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import type { PageSource } from "../os/page_source.ts";
import {
  CHUNKS,
  CLASS_COUNT,
  CLASS_OF,
  CLASS_SIZE,
  HEADER,
  MAX_SMALL,
  SEGMENT_SIZE,
  SPAN_SIZE,
  SPANS_PER_SEGMENT,
} from "./_size_classes.ts";

// What a page is to this heap (one byte per page number). 1..16 is a live
// span of class `kind - 1`, so the free path learns "live span" and its class
// from a single load.
const NONE = 0;
const EMPTY = 17; // a span on the shared empty-span list
const HEADER_PAGE = 18; // a segment's first page, or the heap's own page
const LARGE = 19; // the first page of a live large block
const FREED_LARGE = 20; // the first page of a large block freed since
// Allocated-chunk bitmap: one bit per 16 bytes of a span, 8 words per page.
const BITMAP_WORDS = SPAN_SIZE / 16 / 32;
// The range of sizes of each page kind 1..16 (class kind - 1), for free().
const KIND_MAX = Uint16Array.of(0, ...CLASS_SIZE);
const KIND_MIN = Uint16Array.of(
  0,
  0,
  ...CLASS_SIZE.subarray(0, CLASS_COUNT - 1).map((c) => c + 1),
);
// Chunks up to this size are zeroed when reused by a loop of 8-byte stores
// (fill() costs ~40 ns of call overhead), and resizes copy or zero up to this
// many bytes by loops.
const ZERO_LOOP_LIMIT = 576;
const SIZE_LIMIT = "the largest allocation this page source can hold";

/**
 * Options for {@linkcode Heap}.
 *
 * @example Two heaps sharing one page source
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using a = new Heap({ pages });
 * using b = new Heap({ pages });
 * const p = a.alloc(32);
 * assert.throws(() => b.free(p)); // not b's pointer
 * a.free(p);
 * ```
 */
export interface HeapOptions {
  /**
   * Where the heap gets its segments and large blocks. Without it the heap
   * makes its own `defaultPages()` and destroys it in {@linkcode Heap.destroy}.
   * A page source passed in is left alive (several heaps may share one).
   */
  pages?: PageSource;
}

/**
 * What {@linkcode Heap.inspect} reports for a pointer inside a live span.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(50);
 * const info = heap.inspect(p);
 * assert.equal(info?.kind, "span");
 * assert.deepEqual(info, {
 *   kind: "span",
 *   span: p - 48, // the first chunk of a fresh span
 *   classSize: 64,
 *   chunksUsed: 1,
 *   chunkCount: 63,
 * });
 * ```
 */
export interface SpanInfo {
  /** Always `"span"`. */
  kind: "span";
  /** The span's first byte (a multiple of 4096); chunks start 48 bytes in. */
  span: number;
  /** The size of every chunk in the span, one of the 16 class sizes. */
  classSize: number;
  /** Chunks allocated. */
  chunksUsed: number;
  /** Chunks the span holds: `floor(4048 / classSize)`. */
  chunkCount: number;
}

/**
 * What {@linkcode Heap.inspect} reports for a pointer inside a large block.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(5000);
 * assert.deepEqual(heap.inspect(p + 100), {
 *   kind: "large",
 *   block: p - 48,
 *   ptr: p,
 *   size: 5000,
 *   capacity: 8192,
 * });
 * ```
 */
export interface LargeInfo {
  /** Always `"large"`. */
  kind: "large";
  /** The block's first byte (a multiple of 4096). */
  block: number;
  /** The pointer the allocation was handed out as: `block + 48`. */
  ptr: number;
  /** The size requested (or last resized to). */
  size: number;
  /** The block's size in bytes: `roundUp(size + 48, 4096)` when allocated. */
  capacity: number;
}

/**
 * Per-class statistics, from {@linkcode Heap.classStats}.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * for (let i = 0; i < 5; i++) heap.alloc(1000); // class 1008, 4 per span
 * const stats = heap.classStats().find((c) => c.classSize === 1008)!;
 * assert.equal(stats.spans, 2);
 * assert.equal(stats.fullSpans, 1);
 * assert.equal(stats.chunksUsed, 5);
 * assert.equal(stats.bytesUsed, 5 * 1008);
 * ```
 */
export interface ClassStats {
  /** The class size in bytes. */
  classSize: number;
  /** Chunks per span of this class. */
  chunkCount: number;
  /** Live spans of this class (partial plus full). */
  spans: number;
  /** Spans with free chunks left. */
  partialSpans: number;
  /** Spans with every chunk allocated. */
  fullSpans: number;
  /** Chunks allocated. */
  chunksUsed: number;
  /** `chunksUsed × classSize`: this class's share of `bytesUsed`. */
  bytesUsed: number;
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
 *  large block: [48 B header][user bytes ...] roundUp(size + 48, 4096)
 * ```
 *
 * A request goes to the first class at least its size (16, 32, 48, 64, 96,
 * 128, 192, 256, 336, 448, 576, 672, 800, 1008, 1344, 2016). Each class
 * allocates from its first partial span; full spans wait on a list of their
 * own; a span whose last chunk is freed goes back to the shared empty list at
 * once, for any class. Segments are kept until {@linkcode Heap.destroy}.
 * Freed chunks of a span are reused last freed, first reused. Every
 * allocation reads as zero, but freeing touches no memory: a reused chunk is
 * zeroed when it is handed out again, and an emptied span's used part when
 * the span is taken again. A large block grown past its capacity grows in
 * place when the pages after it are free, and moves otherwise.
 *
 * The span bookkeeping (class, a stack of free chunks, chunks used, list
 * links and an allocated-chunk bitmap) lives in typed arrays, not in the
 * spans, so a stray write into memory cannot make the heap accept a bad
 * pointer or hand out a wrong one. Freeing or resizing anything that is not the start of
 * a live allocation throws a {@linkcode PointerError} (reasons `foreign`,
 * `interior`, `unaligned`, `double-free`, `out-of-range`, `size-mismatch`)
 * and changes nothing. These checks are always on; they cost about 5–8 ns
 * per 64-byte alloc+free pair (a bitmap bit set and tested, two compares).
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
 * assert.equal(heap.bytesReserved, 4096 + 65536); // segments are kept
 * heap.validate();
 * ```
 */
export class Heap implements Allocator, Disposable {
  /** The memory the heap's pointers address: its page source's. */
  readonly memory: Memory;
  #pages: PageSource;
  #ownsPages: boolean;
  #self: number;
  #destroyed = false;
  #maxSize: number;
  #u8: Uint8Array;
  #u32: Uint32Array;
  #f64: Float64Array;

  // Per page number, grown on demand (#ensure).
  #kind = new Uint8Array(0);
  #nfree = new Uint8Array(0); // chunks on the span's free-chunk stack
  #stackAt = new Int32Array(0); // where the span's stack starts in #stack
  #bump = new Uint16Array(0); // offset of the first chunk never handed out
  #used = new Uint16Array(0); // chunks allocated
  #next = new Int32Array(0); // list links (page numbers, 0 = none)
  #prev = new Int32Array(0);
  #bits = new Uint32Array(0); // allocated chunks, bit (offset / 16)
  #largeSize = new Float64Array(0);
  #largeCap = new Float64Array(0);
  // Free-chunk stacks: 256 bytes per span of every segment, each entry a
  // free chunk's offset in its span / 16 (the last one pushed on top).
  #stack = new Uint8Array(0);

  #partial = new Int32Array(CLASS_COUNT);
  #full = new Int32Array(CLASS_COUNT);
  #emptyTop = 0;
  #emptyCount = 0;
  #liveSpans = 0;
  #largeHead = 0;
  #largeCount = 0;
  #segments: number[] = [];
  #bytesUsed = 0;
  #bytesReserved = 0;
  #peakReserved = 0;

  /**
   * Makes a heap; it takes one page from the page source for itself.
   *
   * @param options The page source to use (default: a new `defaultPages()`).
   */
  constructor(options: HeapOptions = {}) {
    this.#ownsPages = options.pages === undefined;
    this.#pages = options.pages ?? defaultPages();
    this.memory = this.#pages.memory;
    this.#u8 = this.memory.u8;
    this.#u32 = this.memory.u32;
    this.#f64 = this.memory.f64;
    this.#maxSize = Math.max(
      0,
      this.#pages.reservedBytes - SPAN_SIZE - HEADER,
    );
    try {
      this.#self = this.#pages.alloc(SPAN_SIZE);
    } catch (e) {
      if (this.#ownsPages) this.#pages.destroy();
      throw e;
    }
    this.#ensure(this.#self / SPAN_SIZE + 1);
    this.#kind[this.#self / SPAN_SIZE] = HEADER_PAGE;
    this.#bytesReserved = this.#peakReserved = SPAN_SIZE;
  }

  /** The page source the heap takes its pages from. */
  get pages(): PageSource {
    return this.#pages;
  }

  /** Sum of the class sizes of live small allocations and the sizes of live large ones. */
  get bytesUsed(): number {
    return this.#bytesUsed;
  }

  /**
   * 4096 for the heap itself, 65536 per segment, and the capacity of every
   * live large block; 0 after {@linkcode Heap.destroy}.
   */
  get bytesReserved(): number {
    return this.#bytesReserved;
  }

  /** The highest {@linkcode Heap.bytesReserved} ever reached. */
  get peakReserved(): number {
    return this.#peakReserved;
  }

  /** Live spans: spans holding at least one allocation. */
  get liveSpans(): number {
    return this.#liveSpans;
  }

  /** Spans on the shared empty-span list. */
  get emptySpans(): number {
    return this.#emptyCount;
  }

  /** Live large blocks. */
  get largeBlocks(): number {
    return this.#largeCount;
  }

  /** Segments taken from the page source (kept until destroy). */
  get segments(): number {
    return this.#segments.length;
  }

  /** Whether {@linkcode Heap.destroy} has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Allocates `size` zero-filled bytes: a chunk of the first class at least
   * `size` (0 takes 16), or a large block above 2016 bytes. Pointers are
   * multiples of 16.
   *
   * @param size The number of bytes.
   * @returns A non-null pointer.
   */
  alloc(size: number): number {
    if (size >>> 0 === size && size <= MAX_SMALL) {
      const cls = CLASS_OF[(size + 15) >> 4];
      let span = this.#partial[cls];
      if (span === 0) span = this.#takeSpan(cls);
      const base = span * SPAN_SIZE;
      const classSize = CLASS_SIZE[cls];
      let rel: number;
      const free = this.#nfree[span];
      if (free !== 0) {
        // Pop the free-chunk stack and zero the chunk now (it holds what was
        // in it when it was freed); the caller is about to write it, so it
        // is touched while hot in cache.
        this.#nfree[span] = free - 1;
        rel = this.#stack[this.#stackAt[span] + free - 1] << 4;
        const ptr = base + rel;
        if (classSize <= ZERO_LOOP_LIMIT) {
          const f64 = this.#f64;
          for (let w = ptr / 8, end = (ptr + classSize) / 8; w < end; w++) {
            f64[w] = 0;
          }
        } else {
          this.#u8.fill(0, ptr, ptr + classSize);
        }
      } else {
        // Never handed out since the span was taken: zero already.
        rel = this.#bump[span];
        this.#bump[span] = rel + classSize;
      }
      this.#bits[span * BITMAP_WORDS + (rel >> 9)] |= 1 << ((rel >> 4) & 31);
      const used = this.#used[span] + 1;
      this.#used[span] = used;
      if (used === CHUNKS[cls]) this.#toFull(span, cls);
      this.#bytesUsed += classSize;
      return base + rel;
    }
    return this.#allocLarge(size);
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
    // Page numbers are below 2^31, so `| 0` floors every valid pointer; a
    // pointer it wraps fails the offset check below and goes the slow way.
    const page = (ptr / SPAN_SIZE) | 0;
    const kind = this.#kind[page];
    if (kind <= CLASS_COUNT && kind !== NONE) {
      const rel = ptr - page * SPAN_SIZE;
      const word = page * BITMAP_WORDS + (rel >> 9);
      const bit = 1 << ((rel >> 4) & 31);
      // `rel & 0xff0` equals rel only for an integer, 16-aligned offset; a
      // set bit exists only at the start of a live chunk. A size is checked
      // by range only (two compares; a full check cost ~7 ns per pair), so a
      // fractional size inside the class's range passes.
      if (
        (rel & 0xff0) === rel && (this.#bits[word] & bit) !== 0 &&
        (size === undefined ||
          (size <= KIND_MAX[kind] && size >= KIND_MIN[kind]))
      ) {
        this.#bits[word] ^= bit;
        this.#freeChunk(page, kind - 1, rel);
        return;
      }
    } else if (
      kind === LARGE && ptr - page * SPAN_SIZE === HEADER &&
      (size === undefined || size === this.#largeSize[page])
    ) {
      // The start of a live large block, with its exact size if one is given.
      this.#freeLarge(page);
      return;
    }
    this.#freeSlow(ptr, size);
  }

  /**
   * Resizes an allocation ({@linkcode Allocator.resize}). Small to the same
   * class, and large to a size still above 2016 that fits the block, keep the
   * pointer and zero the bytes past the new size; everything else moves
   * (copying `min(old, new)` bytes) and frees the old allocation. If it
   * throws, the old allocation is untouched.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated or last resized with.
   * @param newSize The size wanted; 0 frees.
   * @returns The pointer to use from now on (0 if freed).
   */
  resize(ptr: number, oldSize: number, newSize: number): number {
    if (ptr !== 0) checkSize(oldSize, Number.MAX_SAFE_INTEGER, "Old size");
    return this.#resize(ptr, oldSize, newSize);
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
    return this.#resize(ptr, undefined, size);
  }

  /**
   * Describes the span or large block that `ptr` points into (any byte of
   * it), or returns `null` if `ptr` is in neither.
   *
   * @param ptr Any pointer.
   * @returns The span or large block, or `null`.
   */
  inspect(ptr: number): SpanInfo | LargeInfo | null {
    if (this.#destroyed || !Number.isInteger(ptr) || ptr <= 0) return null;
    const page = Math.floor(ptr / SPAN_SIZE);
    const kind = page < this.#kind.length ? this.#kind[page] : NONE;
    if (kind !== NONE && kind <= CLASS_COUNT) {
      return {
        kind: "span",
        span: page * SPAN_SIZE,
        classSize: CLASS_SIZE[kind - 1],
        chunksUsed: this.#used[page],
        chunkCount: CHUNKS[kind - 1],
      };
    }
    const block = kind === LARGE ? page : this.#largeContaining(page);
    if (block === 0) return null;
    return {
      kind: "large",
      block: block * SPAN_SIZE,
      ptr: block * SPAN_SIZE + HEADER,
      size: this.#largeSize[block],
      capacity: this.#largeCap[block],
    };
  }

  /**
   * Statistics for each of the 16 classes, smallest first (walks the span
   * lists, so it costs one step per live span).
   *
   * @returns One entry per class.
   */
  classStats(): ClassStats[] {
    const stats: ClassStats[] = [];
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      let partialSpans = 0, fullSpans = 0, chunksUsed = 0;
      for (let s = this.#partial[cls]; s !== 0; s = this.#next[s]) {
        partialSpans++;
        chunksUsed += this.#used[s];
      }
      for (let s = this.#full[cls]; s !== 0; s = this.#next[s]) {
        fullSpans++;
        chunksUsed += this.#used[s];
      }
      stats.push({
        classSize: CLASS_SIZE[cls],
        chunkCount: CHUNKS[cls],
        spans: partialSpans + fullSpans,
        partialSpans,
        fullSpans,
        chunksUsed,
        bytesUsed: chunksUsed * CLASS_SIZE[cls],
      });
    }
    return stats;
  }

  /**
   * Checks every list, span, free list, bitmap, large block and counter, and
   * that memory never handed out (span headers, the fresh part of each span,
   * the bytes past a large block's size) reads as zero, so a write past the
   * end is found. Free chunks keep their old bytes until they are reused (they
   * are zeroed then), so they are not checked. Throws an `Error` naming the
   * first inconsistency and where it is. It walks all the heap's memory: for
   * tests and debugging.
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
    this.#checkLive();
    const seen = new Set<number>();
    let used = 0, spans = 0;
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      for (const full of [false, true]) {
        const list = `${full ? "full" : "partial"} list of class ${
          CLASS_SIZE[cls]
        }`;
        let prev = 0;
        const head = full ? this.#full[cls] : this.#partial[cls];
        for (let s = head; s !== 0; prev = s, s = this.#next[s]) {
          const where = `span ${hex(s * SPAN_SIZE)} on the ${list}`;
          if (seen.has(s)) corrupt(`${where} is listed twice (a cycle?)`);
          seen.add(s);
          if (this.#prev[s] !== prev) {
            corrupt(
              `${where} links back to page ${this.#prev[s]}, not ${prev}`,
            );
          }
          if (this.#kind[s] !== cls + 1) {
            corrupt(`${where} is marked ${this.#kindName(s)}`);
          }
          const n = this.#used[s];
          if (full ? n !== CHUNKS[cls] : n === 0 || n >= CHUNKS[cls]) {
            corrupt(`${where} has ${n} of ${CHUNKS[cls]} chunks used`);
          }
          this.#validateSpan(s, cls, where);
          used += n * CLASS_SIZE[cls];
          spans++;
        }
      }
    }
    let empties = 0;
    for (let s = this.#emptyTop; s !== 0; s = this.#next[s]) {
      const where = `span ${hex(s * SPAN_SIZE)} on the empty-span list`;
      if (seen.has(s)) corrupt(`${where} is listed twice (a cycle?)`);
      seen.add(s);
      if (this.#kind[s] !== EMPTY) {
        corrupt(`${where} is marked ${this.#kindName(s)}`);
      }
      // [48, bump) may hold the old chunks (zeroed when the span is taken);
      // the header and everything from bump on were never written.
      const bump = this.#bump[s];
      if (bump < HEADER || bump > SPAN_SIZE || (bump - HEADER) % 16 !== 0) {
        corrupt(`${where} has its first fresh byte at offset ${bump}`);
      }
      this.#expectZero(s * SPAN_SIZE, HEADER, `the header of ${where}`);
      this.#expectZero(
        s * SPAN_SIZE + bump,
        SPAN_SIZE - bump,
        `the never-used part of ${where}`,
      );
      empties++;
    }
    for (const segment of this.#segments) {
      const first = segment / SPAN_SIZE;
      const where = `segment ${hex(segment)}`;
      if (this.#kind[first] !== HEADER_PAGE) {
        corrupt(`the header of ${where} is marked ${this.#kindName(first)}`);
      }
      for (let s = first + 1; s <= first + SPANS_PER_SEGMENT; s++) {
        if (!seen.has(s)) {
          corrupt(`span ${hex(s * SPAN_SIZE)} of ${where} is on no list`);
        }
      }
      this.#expectRun(segment, SEGMENT_SIZE, where);
    }
    if (seen.size !== this.#segments.length * SPANS_PER_SEGMENT) {
      corrupt(
        `${seen.size} spans are listed, but ${this.#segments.length} segments hold ${
          this.#segments.length * SPANS_PER_SEGMENT
        }`,
      );
    }
    let larges = 0, capacity = 0, prev = 0;
    for (let b = this.#largeHead; b !== 0; prev = b, b = this.#next[b]) {
      const where = `large block ${hex(b * SPAN_SIZE)}`;
      if (larges > this.#largeCount) {
        corrupt(`the large-block list has a cycle`);
      }
      if (this.#kind[b] !== LARGE) {
        corrupt(`${where} is marked ${this.#kindName(b)}`);
      }
      if (this.#prev[b] !== prev) {
        corrupt(`${where} links back to page ${this.#prev[b]}, not ${prev}`);
      }
      const size = this.#largeSize[b], cap = this.#largeCap[b];
      if (
        !(size > MAX_SMALL && size + HEADER <= cap && cap % SPAN_SIZE === 0)
      ) {
        corrupt(`${where} has size ${size} and capacity ${cap}`);
      }
      this.#expectRun(b * SPAN_SIZE, cap, where);
      this.#expectZero(b * SPAN_SIZE, HEADER, `the header of ${where}`);
      this.#expectZero(
        b * SPAN_SIZE + HEADER + size,
        cap - HEADER - size,
        `the bytes past the size of ${where}`,
      );
      used += size;
      capacity += cap;
      larges++;
    }
    const expect = (what: string, actual: number, wanted: number) => {
      if (actual !== wanted) {
        corrupt(`${what} is ${actual}, but ${wanted} was found`);
      }
    };
    expect("liveSpans", this.#liveSpans, spans);
    expect("emptySpans", this.#emptyCount, empties);
    expect("largeBlocks", this.#largeCount, larges);
    expect("bytesUsed", this.#bytesUsed, used);
    expect(
      "bytesReserved",
      this.#bytesReserved,
      SPAN_SIZE + this.#segments.length * SEGMENT_SIZE + capacity,
    );
    if (this.#peakReserved < this.#bytesReserved) {
      corrupt(`peakReserved ${this.#peakReserved} is below bytesReserved`);
    }
    this.#expectRun(this.#self, SPAN_SIZE, "the heap's own page");
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
    if (this.#destroyed) return;
    this.#destroyed = true;
    const pages = this.#pages;
    if (!pages.destroyed) {
      for (let b = this.#largeHead; b !== 0; b = this.#next[b]) {
        pages.free(b * SPAN_SIZE, this.#largeCap[b]);
      }
      for (const segment of this.#segments) pages.free(segment, SEGMENT_SIZE);
      pages.free(this.#self, SPAN_SIZE);
    }
    if (this.#ownsPages) pages.destroy();
    // Empty metadata sends every later call down the slow paths, which throw.
    this.#kind = new Uint8Array(0);
    this.#nfree = new Uint8Array(0);
    this.#stackAt = new Int32Array(0);
    this.#stack = new Uint8Array(0);
    this.#bump = new Uint16Array(0);
    this.#used = new Uint16Array(0);
    this.#next = new Int32Array(0);
    this.#prev = new Int32Array(0);
    this.#bits = new Uint32Array(0);
    this.#largeSize = new Float64Array(0);
    this.#largeCap = new Float64Array(0);
    this.#partial.fill(0);
    this.#full.fill(0);
    this.#segments = [];
    this.#emptyTop = this.#largeHead = 0;
    this.#emptyCount = this.#liveSpans = this.#largeCount = 0;
    this.#bytesUsed = this.#bytesReserved = 0;
  }

  /** Same as {@linkcode Heap.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // ── small allocations ──────────────────────────────────────────────────

  // Pushes the chunk on its span's free-chunk stack. The chunk's memory is
  // not touched: it is zeroed when it is handed out again (alloc), or with
  // the rest of the span when the span is taken again (#takeSpan).
  #freeChunk(span: number, cls: number, rel: number): void {
    const classSize = CLASS_SIZE[cls];
    const free = this.#nfree[span];
    this.#stack[this.#stackAt[span] + free] = rel >> 4;
    this.#nfree[span] = free + 1;
    const used = this.#used[span] - 1;
    this.#used[span] = used;
    this.#bytesUsed -= classSize;
    if (used === 0) this.#retire(span, cls);
    else if (used === CHUNKS[cls] - 1) this.#toPartial(span, cls);
  }

  // The first partial span is full now: move it to the full list.
  #toFull(span: number, cls: number): void {
    const next = this.#next[span];
    this.#partial[cls] = next;
    if (next !== 0) this.#prev[next] = 0;
    const top = this.#full[cls];
    this.#next[span] = top;
    if (top !== 0) this.#prev[top] = span;
    this.#full[cls] = span;
  }

  // A full span got a free chunk: move it to the front of the partial list.
  #toPartial(span: number, cls: number): void {
    this.#unlink(span, this.#full, cls);
    this.#pushPartial(span, cls);
  }

  #pushPartial(span: number, cls: number): void {
    const top = this.#partial[cls];
    this.#prev[span] = 0;
    this.#next[span] = top;
    if (top !== 0) this.#prev[top] = span;
    this.#partial[cls] = span;
  }

  #unlink(span: number, heads: Int32Array, cls: number): void {
    const prev = this.#prev[span], next = this.#next[span];
    if (prev === 0) heads[cls] = next;
    else this.#next[prev] = next;
    if (next !== 0) this.#prev[next] = prev;
  }

  // The span's last chunk was freed: put it on the shared empty list as it
  // is. Its bytes [48, bump) may hold old data; #takeSpan zeroes them.
  #retire(span: number, cls: number): void {
    this.#unlink(span, this.#partial, cls);
    this.#kind[span] = EMPTY;
    this.#next[span] = this.#emptyTop;
    this.#emptyTop = span;
    this.#emptyCount++;
    this.#liveSpans--;
  }

  // Takes a span off the empty list (taking a segment first if it is empty)
  // and makes it the first partial span of the class.
  #takeSpan(cls: number): number {
    if (this.#emptyTop === 0) this.#addSegment(CLASS_SIZE[cls]);
    const span = this.#emptyTop;
    this.#emptyTop = this.#next[span];
    this.#emptyCount--;
    // A span that held chunks before may hold old data below its bump
    // offset (and only there): zero that part in one fill.
    const bump = this.#bump[span];
    if (bump !== HEADER) {
      const base = span * SPAN_SIZE;
      this.#u8.fill(0, base + HEADER, base + bump);
      this.#bump[span] = HEADER;
    }
    this.#kind[span] = cls + 1;
    this.#nfree[span] = 0;
    this.#used[span] = 0;
    this.#liveSpans++;
    this.#pushPartial(span, cls);
    return span;
  }

  #addSegment(size: number): void {
    this.#checkLive();
    let segment: number;
    try {
      segment = this.#pages.alloc(SEGMENT_SIZE);
    } catch (e) {
      // A reservation smaller than a segment is out of memory too: the
      // request itself (a small size) is possible.
      const full = e instanceof RangeError ? new OutOfMemoryError("", 0) : e;
      throw this.#outOfMemory(full, size, "a 64 KiB segment");
    }
    const first = segment / SPAN_SIZE;
    this.#ensure(first + SPANS_PER_SEGMENT + 1);
    const stacks = this.#segments.length * SPANS_PER_SEGMENT;
    if ((stacks + SPANS_PER_SEGMENT) * 256 > this.#stack.length) {
      this.#stack = grow(
        this.#stack,
        new Uint8Array(
          Math.max(2 * this.#stack.length, 4 * SPANS_PER_SEGMENT * 256),
        ),
      );
    }
    this.#kind[first] = HEADER_PAGE;
    // Pushed highest first, so the first usable span is on top and spans are
    // handed out in ascending address order.
    for (let s = first + SPANS_PER_SEGMENT; s > first; s--) {
      this.#kind[s] = EMPTY;
      this.#bump[s] = HEADER; // fresh pages: nothing to zero
      this.#stackAt[s] = (stacks + s - first - 1) * 256;
      this.#next[s] = this.#emptyTop;
      this.#emptyTop = s;
    }
    this.#emptyCount += SPANS_PER_SEGMENT;
    this.#segments.push(segment);
    this.#reserve(SEGMENT_SIZE);
  }

  // ── large blocks ───────────────────────────────────────────────────────

  #allocLarge(size: number): number {
    this.#checkLive();
    checkSize(size, this.#maxSize, "Size", SIZE_LIMIT);
    const capacity = Math.ceil((size + HEADER) / SPAN_SIZE) * SPAN_SIZE;
    let block: number;
    try {
      block = this.#pages.alloc(capacity);
    } catch (e) {
      throw this.#outOfMemory(e, size, `a block of ${capacity} bytes`);
    }
    const page = block / SPAN_SIZE;
    if (page >= this.#kind.length) this.#ensure(page + 1);
    this.#kind[page] = LARGE;
    this.#largeSize[page] = size;
    this.#largeCap[page] = capacity;
    const top = this.#largeHead;
    this.#prev[page] = 0;
    this.#next[page] = top;
    if (top !== 0) this.#prev[top] = page;
    this.#largeHead = page;
    this.#largeCount++;
    this.#bytesUsed += size;
    this.#reserve(capacity);
    return block + HEADER;
  }

  // Grows the live large block at `page` past its capacity to hold `newSize`
  // bytes. The page source grows the run in place when the pages after it
  // are free (only the new pages are zeroed, nothing is copied), and
  // otherwise moves it (a zeroed run, the old bytes copied, the old run
  // freed). Either way the capacity becomes roundUp(newSize + 48, 4096), as
  // for a new block. If it throws, nothing has changed.
  #growLarge(page: number, size: number, newSize: number): number {
    const block = page * SPAN_SIZE;
    const capacity = Math.ceil((newSize + HEADER) / SPAN_SIZE) * SPAN_SIZE;
    const oldCapacity = this.#largeCap[page];
    let moved: number;
    try {
      moved = this.#pages.resize(block, oldCapacity, capacity);
    } catch (e) {
      throw this.#outOfMemory(e, newSize, `a block of ${capacity} bytes`);
    }
    this.#bytesUsed += newSize - size;
    if (moved === block) {
      this.#largeSize[page] = newSize;
      this.#largeCap[page] = capacity;
      this.#reserve(capacity - oldCapacity);
      return block + HEADER;
    }
    // Moved: the new run takes the old one's place in the large-block list.
    // Both were live for a moment, as in a move through alloc and free.
    const to = moved / SPAN_SIZE;
    if (to >= this.#kind.length) this.#ensure(to + 1);
    this.#kind[to] = LARGE;
    this.#largeSize[to] = newSize;
    this.#largeCap[to] = capacity;
    const prev = this.#prev[page], next = this.#next[page];
    this.#prev[to] = prev;
    this.#next[to] = next;
    if (prev === 0) this.#largeHead = to;
    else this.#next[prev] = to;
    if (next !== 0) this.#prev[next] = to;
    this.#kind[page] = FREED_LARGE;
    this.#reserve(capacity);
    this.#bytesReserved -= oldCapacity;
    return moved + HEADER;
  }

  #freeLarge(page: number): void {
    const capacity = this.#largeCap[page];
    this.#pages.free(page * SPAN_SIZE, capacity);
    const prev = this.#prev[page], next = this.#next[page];
    if (prev === 0) this.#largeHead = next;
    else this.#next[prev] = next;
    if (next !== 0) this.#prev[next] = prev;
    this.#kind[page] = FREED_LARGE;
    this.#largeCount--;
    this.#bytesUsed -= this.#largeSize[page];
    this.#bytesReserved -= capacity;
  }

  // The first page of the live large block holding `page`, or 0.
  #largeContaining(page: number): number {
    for (let b = this.#largeHead; b !== 0; b = this.#next[b]) {
      if (b <= page && page < b + this.#largeCap[b] / SPAN_SIZE) return b;
    }
    return 0;
  }

  // ── shared paths ───────────────────────────────────────────────────────

  #freeSlow(ptr: number, size: number | undefined): void {
    if (ptr === 0) return;
    const page = this.#locate(ptr, size);
    this.#release(page, ptr);
  }

  // Frees the live allocation at `ptr`, whose page #locate returned.
  #release(page: number, ptr: number): void {
    const kind = this.#kind[page];
    if (kind === LARGE) return this.#freeLarge(page);
    const rel = ptr - page * SPAN_SIZE;
    this.#bits[page * BITMAP_WORDS + (rel >> 9)] ^= 1 << ((rel >> 4) & 31);
    this.#freeChunk(page, kind - 1, rel);
  }

  #resize(ptr: number, oldSize: number | undefined, newSize: number): number {
    if (ptr === 0) return this.alloc(newSize);
    const page = this.#locate(ptr, oldSize);
    checkSize(newSize, this.#maxSize, "Size", SIZE_LIMIT);
    if (newSize === 0) {
      this.#release(page, ptr);
      return 0;
    }
    const kind = this.#kind[page];
    let keep: number;
    if (kind !== LARGE) {
      const classSize = CLASS_SIZE[kind - 1];
      if (newSize <= MAX_SMALL && CLASS_OF[(newSize + 15) >> 4] === kind - 1) {
        this.#zero(ptr + newSize, ptr + classSize);
        return ptr;
      }
      keep = Math.min(classSize, newSize);
    } else {
      const size = this.#largeSize[page];
      if (newSize > MAX_SMALL) {
        if (newSize + HEADER <= this.#largeCap[page]) {
          if (newSize < size) this.#u8.fill(0, ptr + newSize, ptr + size);
          this.#largeSize[page] = newSize;
          this.#bytesUsed += newSize - size;
          return ptr;
        }
        return this.#growLarge(page, size, newSize);
      }
      keep = Math.min(size, newSize);
    }
    const moved = this.alloc(newSize); // may throw: nothing has changed yet
    this.#copy(moved, ptr, keep);
    this.#release(page, ptr);
    return moved;
  }

  // Zeroes [from, to). fill() and copyWithin() cost ~40 ns of call overhead
  // each here, so short ranges are done with loops.
  #zero(from: number, to: number): void {
    if (to - from > ZERO_LOOP_LIMIT) return void this.#u8.fill(0, from, to);
    const u8 = this.#u8;
    let at = from;
    for (; at < to && at % 8 !== 0; at++) u8[at] = 0;
    const f64 = this.#f64;
    for (; at + 8 <= to; at += 8) f64[at / 8] = 0;
    for (; at < to; at++) u8[at] = 0;
  }

  // Copies `n` bytes between two 16-aligned allocations (which never overlap).
  // Whole words go through a Uint32Array: a Float64Array could change the
  // bits of a NaN.
  #copy(dst: number, src: number, n: number): void {
    if (n > ZERO_LOOP_LIMIT) {
      return void this.#u8.copyWithin(dst, src, src + n);
    }
    const u32 = this.#u32;
    const d = dst / 4, s = src / 4, words = n >> 2;
    for (let i = 0; i < words; i++) u32[d + i] = u32[s + i];
    const u8 = this.#u8;
    for (let i = words * 4; i < n; i++) u8[dst + i] = u8[src + i];
  }

  // Returns the page of the live allocation that starts at `ptr` (with
  // `size`, if known), or throws saying why it is not one.
  #locate(ptr: number, size: number | undefined): number {
    this.#checkLive();
    checkPointer(ptr);
    if (size !== undefined) checkSize(size, Number.MAX_SAFE_INTEGER);
    const page = Math.floor(ptr / SPAN_SIZE);
    const rel = ptr - page * SPAN_SIZE;
    const kind = page < this.#kind.length ? this.#kind[page] : NONE;
    if (
      kind !== NONE && kind <= CLASS_COUNT && rel % 16 === 0 &&
      this.#bit(page, rel) &&
      (size === undefined || (size <= KIND_MAX[kind] && size >= KIND_MIN[kind]))
    ) return page;
    if (
      kind === LARGE && rel === HEADER &&
      (size === undefined || size === this.#largeSize[page])
    ) return page;
    this.#reject(ptr, size, page, rel, kind);
  }

  // Throws the PointerError that says why `ptr` (with `size`) is not a live
  // allocation of this heap; messages are built only here.
  #reject(
    ptr: number,
    size: number | undefined,
    page: number,
    rel: number,
    kind: number,
  ): never {
    const at = hex(ptr);
    if (kind !== NONE && kind <= CLASS_COUNT) {
      const classSize = CLASS_SIZE[kind - 1];
      const span = `the span of ${classSize}-byte chunks at ${
        hex(page * SPAN_SIZE)
      }`;
      if (rel % 16 !== 0) {
        throw new PointerError(
          `Pointer ${at} is not 16-byte aligned, so it is no allocation of this heap (it is inside ${span})`,
          ptr,
          "unaligned",
        );
      }
      if (
        rel < HEADER || (rel - HEADER) % classSize !== 0 ||
        rel >= HEADER + CHUNKS[kind - 1] * classSize
      ) {
        throw new PointerError(
          `Pointer ${at} is inside ${span} but not at the start of a chunk (an interior pointer)`,
          ptr,
          "interior",
        );
      }
      if (
        (this.#bits[page * BITMAP_WORDS + (rel >> 9)] &
          (1 << ((rel >> 4) & 31))) === 0
      ) {
        throw new PointerError(
          `Pointer ${at} is a free chunk of ${span}: double free, or never allocated`,
          ptr,
          "double-free",
        );
      }
      // Everything else matched, so the size is what is wrong.
      throw new PointerError(
        `Size ${size} does not match the allocation at ${at}, a ${classSize}-byte chunk`,
        ptr,
        "size-mismatch",
      );
    }
    if (kind === LARGE && rel === HEADER) {
      throw new PointerError(
        `Size ${size} does not match the allocation at ${at}, a large block of ${
          this.#largeSize[page]
        } bytes`,
        ptr,
        "size-mismatch",
      );
    }
    if (rel % 16 !== 0 && kind !== NONE && kind !== HEADER_PAGE) {
      throw new PointerError(
        `Pointer ${at} is not 16-byte aligned, so it is no allocation of this heap`,
        ptr,
        "unaligned",
      );
    }
    if (kind === EMPTY) {
      throw new PointerError(
        `Pointer ${at} is in the span at ${
          hex(page * SPAN_SIZE)
        }, which has been released because all its chunks are free: double free`,
        ptr,
        "double-free",
      );
    }
    if (kind === FREED_LARGE && rel === HEADER) {
      throw new PointerError(
        `Pointer ${at} is a large block that has been freed already: double free`,
        ptr,
        "double-free",
      );
    }
    if (kind === HEADER_PAGE) {
      throw new PointerError(
        `Pointer ${at} is in a header page of this heap, which holds no allocations`,
        ptr,
        "foreign",
      );
    }
    if (ptr >= this.memory.byteLength) {
      throw new PointerError(
        `Pointer ${at} is outside the memory (${this.memory.byteLength} bytes)`,
        ptr,
        "out-of-range",
      );
    }
    const block = kind === LARGE ? page : this.#largeContaining(page);
    if (block !== 0) {
      throw new PointerError(
        `Pointer ${at} is inside the large block at ${
          hex(block * SPAN_SIZE + HEADER)
        } but not its start (an interior pointer)`,
        ptr,
        "interior",
      );
    }
    throw new PointerError(
      `Pointer ${at} is not an allocation of this heap (another allocator's, or never allocated)`,
      ptr,
      "foreign",
    );
  }

  #reserve(bytes: number): void {
    this.#bytesReserved += bytes;
    if (this.#bytesReserved > this.#peakReserved) {
      this.#peakReserved = this.#bytesReserved;
    }
  }

  #outOfMemory(e: unknown, size: number, what: string): unknown {
    if (!(e instanceof OutOfMemoryError)) return e;
    return new OutOfMemoryError(
      `Out of memory: the page source has no room for ${what} to hold ${size} bytes (the heap reserves ${this.#bytesReserved} bytes); use a page source with a larger reserve`,
      size,
    );
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError("Heap was used after destroy(): make a new one");
    }
  }

  // Grows the per-page arrays to hold page numbers below `pages`. Callers
  // on hot paths test `pages > this.#kind.length` first.
  #ensure(pages: number): void {
    if (pages <= this.#kind.length) return;
    const length = Math.max(pages, this.#kind.length * 2, 64);
    this.#kind = grow(this.#kind, new Uint8Array(length));
    this.#nfree = grow(this.#nfree, new Uint8Array(length));
    this.#stackAt = grow(this.#stackAt, new Int32Array(length));
    this.#bump = grow(this.#bump, new Uint16Array(length));
    this.#used = grow(this.#used, new Uint16Array(length));
    this.#next = grow(this.#next, new Int32Array(length));
    this.#prev = grow(this.#prev, new Int32Array(length));
    this.#bits = grow(this.#bits, new Uint32Array(length * BITMAP_WORDS));
    this.#largeSize = grow(this.#largeSize, new Float64Array(length));
    this.#largeCap = grow(this.#largeCap, new Float64Array(length));
  }

  // ── validation helpers ─────────────────────────────────────────────────

  #validateSpan(span: number, cls: number, where: string): void {
    const base = span * SPAN_SIZE;
    const classSize = CLASS_SIZE[cls];
    const end = HEADER + CHUNKS[cls] * classSize;
    const bump = this.#bump[span];
    if (bump < HEADER || bump > end || (bump - HEADER) % classSize !== 0) {
      corrupt(`${where} has its first fresh chunk at offset ${bump}`);
    }
    let bits = 0;
    for (let rel = 0; rel < SPAN_SIZE; rel += 16) {
      if (!this.#bit(span, rel)) continue;
      if (rel < HEADER || rel >= bump || (rel - HEADER) % classSize !== 0) {
        corrupt(
          `${where} marks offset ${rel} allocated, which is no handed-out chunk`,
        );
      }
      bits++;
    }
    if (bits !== this.#used[span]) {
      corrupt(
        `${where} counts ${this.#used[span]} chunks used but marks ${bits}`,
      );
    }
    const free = this.#nfree[span];
    if (free > CHUNKS[cls]) {
      corrupt(`the free-chunk stack of ${where} holds ${free} chunks`);
    }
    const listed = new Set<number>();
    for (let i = 0; i < free; i++) {
      const rel = this.#stack[this.#stackAt[span] + i] << 4;
      const chunk = `free chunk ${hex(base + rel)} of ${where}`;
      if (rel < HEADER || rel >= bump || (rel - HEADER) % classSize !== 0) {
        corrupt(
          `the free-chunk stack of ${where} holds offset ${rel}, which is no handed-out chunk`,
        );
      }
      if (this.#bit(span, rel)) corrupt(`${chunk} is marked allocated`);
      if (listed.has(rel)) corrupt(`${chunk} is on the free-chunk stack twice`);
      listed.add(rel);
      // A free chunk keeps its old bytes until it is handed out again.
    }
    if (this.#used[span] + free + (end - bump) / classSize !== CHUNKS[cls]) {
      corrupt(
        `${where} has ${this.#used[span]} chunks used, ${free} free and ${
          (end - bump) / classSize
        } fresh, not ${CHUNKS[cls]} in all`,
      );
    }
    this.#expectZero(base, HEADER, `the header of ${where}`);
    this.#expectZero(
      base + bump,
      SPAN_SIZE - bump,
      `the fresh part of ${where}`,
    );
  }

  #bit(span: number, rel: number): boolean {
    return (this.#bits[span * BITMAP_WORDS + (rel >> 9)] &
      (1 << ((rel >> 4) & 31))) !== 0;
  }

  #expectZero(ptr: number, length: number, where: string): void {
    const u8 = this.#u8;
    for (let i = ptr; i < ptr + length; i++) {
      if (u8[i] !== 0) {
        corrupt(
          `${where} should read as zero, but byte ${hex(i)} is ${
            u8[i]
          } (a write after free, or past the end?)`,
        );
      }
    }
  }

  #expectRun(ptr: number, length: number, where: string): void {
    let size = -1;
    try {
      size = this.#pages.runSize(ptr);
    } catch { /* reported below */ }
    if (size !== length) {
      corrupt(
        `${where} should be a live run of ${length} bytes of the page source, but is ${
          size === -1 ? "none" : size
        }`,
      );
    }
  }

  #kindName(page: number): string {
    const kind = this.#kind[page];
    if (kind !== NONE && kind <= CLASS_COUNT) {
      return `a span of class ${CLASS_SIZE[kind - 1]}`;
    }
    return [
      "not the heap's",
      "empty",
      "a header",
      "a large block",
      "a freed large block",
    ][
      kind === NONE ? 0 : kind - CLASS_COUNT
    ];
  }
}

// Copies `from` into the start of the larger `to` and returns `to`.
function grow<T extends { set(a: T): void }>(from: T, to: T): T {
  to.set(from);
  return to;
}

function corrupt(what: string): never {
  throw new Error(`Heap is inconsistent: ${what}`);
}
