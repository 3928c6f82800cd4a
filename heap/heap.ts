/**
 * {@linkcode Heap}: a size-class heap, like malloc, on any page source. Its
 * hot paths are here, with the span bookkeeping they call right below them.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { copyBytes, zeroBytes, zeroChunk } from "../internal/bytes.ts";
import { checkSize, hex } from "../internal/checks.ts";
import { defaultPages } from "../os/default_pages.ts";
import { checkKeepOptions } from "../internal/options.ts";
import { unrefTimer } from "../internal/timers.ts";
import { whenRevoked } from "../internal/revoke.ts";
import {
  DestroyedError,
  HeapCorruptionError,
  OutOfMemoryError,
} from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import type { PageSource } from "../os/page_source.ts";
import * as geometry from "./_geometry.ts";
import { classStats, inspectPointer } from "./_inspect.ts";
import { LargeBlocks } from "./_large_blocks.ts";
import { Segments } from "./_segments.ts";
import { locate } from "./_pointer_errors.ts";
import * as table from "./_span_table.ts";
import { SpanTable } from "./_span_table.ts";
import { validateHeap } from "./_validate.ts";
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
const {
  ALIGNED_OFFSET,
  BITMAP_WORD_SHIFT,
  BITMAP_WORDS,
  CHUNK_STARTS,
  CHUNK_SHIFT,
  CHUNKS,
  CLASS_COUNT,
  CLASS_OF,
  CLASS_SIZE,
  HEADER,
  largeCapacity,
  MAX_SMALL,
  SEGMENT_SIZE,
  SPAN_SIZE,
  SPANS_PER_SEGMENT,
} = geometry;
const {
  BITS,
  FREE_HEAD,
  FRESH,
  HEADER_PAGE,
  KIND,
  KIND_MAX,
  KIND_MIN,
  LARGE,
  NEXT,
  NONE,
  ROW,
  USED,
} = table;
const SIZE_LIMIT = "the largest allocation this page source can hold";

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
 * (docs/design.md#heap-geometry has the full geometry and its invariants.)
 *
 * A request goes to the first class at least its size (16, 32, 48, 64, 96,
 * 128, 192, 256, 336, 448, 576, 672, 800, 1008, 1344, 2016), which allocates
 * from its first partial span; a span whose last chunk is freed goes back to
 * the shared empty list, for any class. A segment whose spans are all empty
 * goes back to the page source on {@linkcode Heap.trim}, or once it has sat
 * empty for the decay time; {@linkcode Heap.destroy} gives back the rest.
 * Every allocation reads as zero, but freeing
 * touches no memory: a chunk is zeroed when it is handed out again.
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
  #f64: Float64Array;
  #u32: Uint32Array;
  #u8: Uint8Array;
  // Empties #u8 when the memory is revoked (a WasmPages or SharedPages
  // destroyed), as detaching does: the fast paths test its length.
  #watcher = { revoked: () => this.#u8 = new Uint8Array(0) };
  #unwatch: () => void;
  #pages: PageSource;
  #ownsPages: boolean;
  #ownPage: number;
  #destroyed = false;
  #maxSize: number;

  #table = new SpanTable();
  #large: LargeBlocks;
  // Small allocations: each class's partial and full span lists, the shared
  // empty-span list (last in, first out), and how many spans are on the class
  // lists. A class's only partial span stays its span when it empties (no
  // list moves, nothing to zero); it counts as empty, and goes to the empty
  // list when another class finds no span (docs/design.md#span-lists).
  #partial = new Int32Array(CLASS_COUNT);
  #full = new Int32Array(CLASS_COUNT);
  #listedSpans = 0;
  #segments: Segments;
  #decayMs: number;
  #trimTimer: ReturnType<typeof setTimeout> | undefined;
  #smallBytesUsed = 0;
  #peakReserved = 0;

  /**
   * Makes a heap; it takes one page from the page source for itself.
   *
   * @param options The page source to use (default: a new `defaultPages()`).
   */
  constructor(options: HeapOptions = {}) {
    checkKeepOptions({ decayMs: options.decayMs });
    this.#ownsPages = options.pages === undefined;
    this.#pages = options.pages ?? defaultPages();
    this.memory = this.#pages.memory;
    this.#f64 = this.memory.f64;
    this.#u32 = this.memory.u32;
    this.#u8 = this.memory.u8;
    this.#unwatch = whenRevoked(this.memory, this.#watcher);
    this.#maxSize = Math.max(
      0,
      this.#pages.reservedBytes - SPAN_SIZE - HEADER,
    );
    this.#large = new LargeBlocks(
      this.#table,
      this.#pages,
      () => this.#notePeak(),
    );
    this.#segments = new Segments(this.#table, this.#pages);
    this.#decayMs = options.decayMs ?? this.#pages.decayMs;
    try {
      this.#ownPage = this.#pages.alloc(SPAN_SIZE);
    } catch (e) {
      if (this.#ownsPages) this.#pages.destroy();
      throw e;
    }
    const page = this.#ownPage / SPAN_SIZE;
    this.#table.ensurePages(page + 1);
    this.#table.set(page, KIND, HEADER_PAGE);
    this.#notePeak();
  }

  /** The page source the heap takes its pages from. */
  get pages(): PageSource {
    return this.#pages;
  }

  /** Sum of the class sizes of live small allocations and the sizes of live large ones. */
  get bytesUsed(): number {
    return this.#smallBytesUsed + this.#large.bytesUsed;
  }

  /**
   * 4096 for the heap itself, 65536 per segment, and the capacity of every
   * live large block; 0 after {@linkcode Heap.destroy}.
   */
  get bytesReserved(): number {
    if (this.#destroyed) return 0;
    return SPAN_SIZE + this.#segments.count * SEGMENT_SIZE +
      this.#large.capacity;
  }

  /** The highest {@linkcode Heap.bytesReserved} ever reached. */
  get peakReserved(): number {
    return this.#peakReserved;
  }

  /** Live spans: spans holding at least one allocation. */
  get liveSpans(): number {
    let kept = 0;
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      if (this.#keptEmpty(cls) !== 0) kept++;
    }
    return this.#listedSpans - kept;
  }

  /** Empty spans: every span of every segment that holds no allocation. */
  get emptySpans(): number {
    return this.#segments.count * SPANS_PER_SEGMENT - this.liveSpans;
  }

  /** Live large blocks. */
  get largeBlocks(): number {
    return this.#large.count;
  }

  /** Segments taken from the page source and not given back. */
  get segments(): number {
    return this.#segments.count;
  }

  /** The bytes {@linkcode Heap.trim} would give back now. */
  get trimmableBytes(): number {
    const kept: number[] = [];
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      const span = this.#keptEmpty(cls);
      if (span !== 0) kept.push(span);
    }
    return this.#segments.emptyBytes(kept);
  }

  /** Whether {@linkcode Heap.destroy} has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Allocates `size` zero-filled bytes: a chunk of the first class at least
   * `size` (0 takes 16), or a large block above 2016 bytes. Pointers are
   * multiples of 16. If it finds the span's free list broken by a write after
   * free, it repairs the span and throws a {@linkcode HeapCorruptionError}
   * (nothing allocated; the next call succeeds).
   *
   * @param size The number of bytes.
   * @returns A non-null pointer.
   */
  alloc(size: number): number {
    // A destroyed page source's memory has no bytes to hand out (its view is
    // empty): the slow way says so.
    if (size >>> 0 !== size || size > MAX_SMALL || this.#u8.length === 0) {
      return this.#allocLarge(size);
    }
    return this.#allocSmall(size, 0);
  }

  // A chunk for `size` (at most 2016) that reads as zero from byte `zeroFrom`
  // on (a move copies the bytes before it).
  #allocSmall(size: number, zeroFrom: number): number {
    const cls = CLASS_OF[(size + 15) >> CHUNK_SHIFT];
    let span = this.#partial[cls];
    if (span === 0) span = this.#takeSpan(cls);
    const m = this.#table.meta;
    const row = span * ROW;
    const classSize = CLASS_SIZE[cls];
    const base = span * SPAN_SIZE;
    let rel = m[row + FREE_HEAD];
    if (rel !== 0) {
      // Reuse the last chunk freed: its first word links to the next free
      // one. A link that is not a free chunk's start was overwritten after
      // the free: repair the span rather than hand out a live chunk twice.
      const next = this.#u32[(base + rel) / 4];
      if (next !== 0) {
        const word = next >> BITMAP_WORD_SHIFT,
          bit = 1 << ((next >> CHUNK_SHIFT) & 31);
        if (
          (next & ALIGNED_OFFSET) !== next || next >= m[row + FRESH] ||
          next === rel ||
          (CHUNK_STARTS[cls * BITMAP_WORDS + word] & bit) === 0 ||
          (m[row + BITS + word] & bit) !== 0
        ) throw this.#repair(span, cls, rel, next);
      }
      m[row + FREE_HEAD] = next;
      // The chunk holds what was in it when it was freed: zero it now, while
      // the caller is about to touch it anyway.
      const from = zeroFrom & ~15;
      zeroChunk(this.#f64, this.#u8, base + rel + from, classSize - from);
    } else {
      // Never handed out since the span was taken: zero already. A span
      // goes to the full list before its fresh part runs out, unless a write
      // after free made free chunks unreachable (a link to a later one).
      rel = m[row + FRESH];
      if (rel + classSize > SPAN_SIZE) throw this.#repair(span, cls, 0, 0);
      m[row + FRESH] = rel + classSize;
    }
    m[row + BITS + (rel >> BITMAP_WORD_SHIFT)] |= 1 <<
      ((rel >> CHUNK_SHIFT) & 31);
    const used = m[row + USED] + 1;
    m[row + USED] = used;
    if (used === CHUNKS[cls]) this.#toFull(span, cls);
    this.#smallBytesUsed += classSize;
    return base + rel;
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
    // pointer it wraps fails the offset checks of #liveKind.
    const page = (ptr / SPAN_SIZE) | 0;
    const rel = ptr - page * SPAN_SIZE;
    const kind = this.#liveKind(page, rel, size);
    if (kind === LARGE) return this.#large.free(page);
    if (kind === NONE) {
      if (ptr !== 0) this.#release(this.#locate(ptr, size), ptr);
      return;
    }
    this.#table.meta[page * ROW + BITS + (rel >> BITMAP_WORD_SHIFT)] ^= 1 <<
      ((rel >> CHUNK_SHIFT) & 31);
    this.#freeChunk(page, kind - 1, rel);
  }

  // The kind of the live allocation at offset `rel` of `page` (with `size`,
  // if given), or NONE if none starts there. No argument checks: anything
  // odd gives NONE, and the caller takes the slow way, which says why.
  #liveKind(page: number, rel: number, size: number | undefined): number {
    if (this.#u8.length === 0) return NONE; // the page source is destroyed
    const m = this.#table.meta;
    const row = page * ROW;
    const kind = m[row + KIND];
    if (kind !== NONE && kind <= CLASS_COUNT) {
      // `rel & ALIGNED_OFFSET` equals rel only for an integer, 16-aligned
      // offset, and a set bit exists only at the start of a live chunk. A
      // size is checked by range only (a full check cost ~7 ns per pair),
      // so a fractional size inside the class's range passes.
      if (
        (rel & ALIGNED_OFFSET) === rel &&
        (m[row + BITS + (rel >> BITMAP_WORD_SHIFT)] &
            (1 << ((rel >> CHUNK_SHIFT) & 31))) !== 0 &&
        (size === undefined ||
          (size <= KIND_MAX[kind] && size >= KIND_MIN[kind]))
      ) return kind;
    } else if (
      kind === LARGE && rel === HEADER &&
      (size === undefined || size === this.#table.largeSize[page])
    ) return kind;
    return NONE;
  }

  // ── span and segment bookkeeping, called from alloc and free ───────────

  // Pushes the chunk on its span's free list, through its first word (the
  // rest of its bytes stay as they are until it is handed out again).
  #freeChunk(span: number, cls: number, rel: number): void {
    const m = this.#table.meta;
    const row = span * ROW;
    this.#u32[(span * SPAN_SIZE + rel) / 4] = m[row + FREE_HEAD];
    m[row + FREE_HEAD] = rel;
    const used = m[row + USED] - 1;
    m[row + USED] = used;
    this.#smallBytesUsed -= CLASS_SIZE[cls];
    if (used === 0) this.#emptied(span, cls);
    else if (used === CHUNKS[cls] - 1) this.#toPartial(span, cls);
  }

  // The span's last chunk was freed. Its class's only partial span stays
  // where it is, ready for the next allocation; any other goes to the empty
  // list.
  #emptied(span: number, cls: number): void {
    if (
      this.#partial[cls] !== span || this.#table.get(span, NEXT) !== 0
    ) {
      this.#retire(span, cls);
    }
    if (this.#trimTimer === undefined) this.#armTrim();
  }

  // The class's partial span if it is empty (kept by #emptied), else 0.
  #keptEmpty(cls: number): number {
    const span = this.#partial[cls];
    return span !== 0 && this.#table.get(span, USED) === 0 ? span : 0;
  }

  // The first partial span is full now: move it to the full list.
  #toFull(span: number, cls: number): void {
    this.#table.unlink(this.#partial, cls, span);
    this.#table.pushFront(this.#full, cls, span);
  }

  // A full span got a free chunk: move it to the front of the partial list
  // (an empty span kept there goes to the empty list: only the first
  // partial span may be empty).
  #toPartial(span: number, cls: number): void {
    const kept = this.#keptEmpty(cls);
    if (kept !== 0) this.#retire(kept, cls);
    this.#table.unlink(this.#full, cls, span);
    this.#table.pushFront(this.#partial, cls, span);
  }

  // Puts an empty span on the shared empty list as it is. Its bytes
  // [48, fresh) may hold old data; #takeSpan zeroes them.
  #retire(span: number, cls: number): void {
    this.#table.unlink(this.#partial, cls, span);
    this.#segments.pushEmpty(span);
    this.#listedSpans--;
  }

  // Takes a span off the empty list and makes it the first partial span of
  // the class. If the list is empty, an empty span kept by another class
  // is taken first, and only then a new segment.
  #takeSpan(cls: number): number {
    const segments = this.#segments;
    for (
      let other = 0;
      other < CLASS_COUNT && segments.emptyTop === 0;
      other++
    ) {
      const kept = this.#keptEmpty(other);
      if (kept !== 0) this.#retire(kept, other);
    }
    if (segments.emptyTop === 0) this.#addSegment(CLASS_SIZE[cls]);
    const t = this.#table;
    const span = segments.popEmpty();
    // A span that held chunks before may hold old data below its fresh
    // offset (and only there): zero that part at once.
    const fresh = t.get(span, FRESH);
    if (fresh !== HEADER) {
      const base = span * SPAN_SIZE;
      zeroBytes(this.memory, base + HEADER, base + fresh);
      t.set(span, FRESH, HEADER);
    }
    t.set(span, KIND, cls + 1);
    t.set(span, FREE_HEAD, 0);
    t.set(span, USED, 0);
    this.#listedSpans++;
    t.pushFront(this.#partial, cls, span);
    return span;
  }

  #addSegment(size: number): void {
    this.#checkLive();
    try {
      this.#segments.add();
    } catch (e) {
      // A reservation smaller than a segment is out of memory too: the
      // request itself (a small size) is possible.
      const full = e instanceof RangeError ? new OutOfMemoryError("", 0) : e;
      throw this.#outOfMemory(full, size, "a 64 KiB segment");
    }
    this.#notePeak();
  }

  // A large block for `size` that reads as zero from byte `zeroFrom` on.
  #allocLarge(size: number, zeroFrom = 0): number {
    this.#checkLive();
    checkSize(size, this.#maxSize, "Size", SIZE_LIMIT);
    try {
      return this.#large.alloc(size, zeroFrom);
    } catch (e) {
      throw this.#outOfMemory(e, size);
    }
  }

  // ── resize ─────────────────────────────────────────────────────────────

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

  #resize(ptr: number, oldSize: number | undefined, newSize: number): number {
    if (ptr === 0) return this.alloc(newSize);
    let page = (ptr / SPAN_SIZE) | 0;
    if (this.#liveKind(page, ptr - page * SPAN_SIZE, oldSize) === NONE) {
      page = this.#locate(ptr, oldSize);
    }
    if (!(newSize >>> 0 === newSize && newSize <= this.#maxSize)) {
      checkSize(newSize, this.#maxSize, "Size", SIZE_LIMIT);
    }
    if (newSize === 0) {
      this.#release(page, ptr);
      return 0;
    }
    const t = this.#table;
    const kind = t.meta[page * ROW + KIND];
    let keep: number;
    if (kind !== LARGE) {
      const classSize = CLASS_SIZE[kind - 1];
      if (
        newSize <= MAX_SMALL &&
        CLASS_OF[(newSize + 15) >> CHUNK_SHIFT] === kind - 1
      ) {
        zeroBytes(this.memory, ptr + newSize, ptr + classSize);
        return ptr;
      }
      keep = Math.min(classSize, newSize);
    } else {
      if (newSize > MAX_SMALL) {
        try {
          return this.#large.resize(page, newSize);
        } catch (e) {
          throw this.#outOfMemory(e, newSize);
        }
      }
      keep = Math.min(t.largeSize[page], newSize);
    }
    // May throw: nothing has changed yet. The copy overwrites the first
    // `keep` bytes, so a small chunk need not be zeroed there first.
    const moved = newSize <= MAX_SMALL
      ? this.#allocSmall(newSize, keep)
      : this.#allocLarge(newSize, keep);
    copyBytes(this.memory, moved, ptr, keep);
    this.#release(page, ptr);
    return moved;
  }

  // Frees the live allocation at `ptr`, whose page #locate returned.
  #release(page: number, ptr: number): void {
    const m = this.#table.meta;
    const row = page * ROW;
    const kind = m[row + KIND];
    if (kind === LARGE) return this.#large.free(page);
    const rel = ptr - page * SPAN_SIZE;
    m[row + BITS + (rel >> BITMAP_WORD_SHIFT)] ^= 1 <<
      ((rel >> CHUNK_SHIFT) & 31);
    this.#freeChunk(page, kind - 1, rel);
  }

  // ── introspection ──────────────────────────────────────────────────────

  /**
   * Describes the span or large block that `ptr` points into (any byte of
   * it), or returns `null` if `ptr` is in neither.
   *
   * @param ptr Any pointer.
   * @returns The span or large block, or `null`.
   */
  inspect(ptr: number): SpanInfo | LargeInfo | null {
    return inspectPointer(this.#table, this.#large, ptr);
  }

  /**
   * Statistics for each of the 16 classes, smallest first (walks the span
   * lists, so it costs one step per live span).
   *
   * @returns One entry per class.
   */
  classStats(): ClassStats[] {
    return classStats(this.#table, this.#partial, this.#full);
  }

  /**
   * Checks every list, span, free list, bitmap, large block and counter, and
   * that memory never handed out (span headers, the fresh part of each span,
   * the bytes past a large block's size) reads as zero, so a write past the
   * end is found. Free chunks keep their old bytes until they are reused (they
   * are zeroed then), so they are not checked, but for their free-list links.
   * Throws a {@linkcode HeapCorruptionError} naming the first inconsistency
   * and where it is (with `span`, `chunk` and `link` for a broken free-list
   * link); it only reports, and changes nothing: the `alloc` that meets a
   * broken link repairs its span. It walks all the heap's memory: for tests
   * and debugging.
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
    validateHeap({
      table: this.#table,
      large: this.#large,
      pages: this.#pages,
      partial: this.#partial,
      full: this.#full,
      emptyTop: this.#segments.emptyTop,
      liveSpans: this.liveSpans,
      emptySpans: this.emptySpans,
      segments: this.#segments.addresses,
      ownPage: this.#ownPage,
      bytesUsed: this.bytesUsed,
      bytesReserved: this.bytesReserved,
      peakReserved: this.#peakReserved,
    });
  }

  /**
   * Gives every segment whose spans are all empty back to the page source
   * (which keeps or purges the pages by its own decay rule), and returns the
   * bytes given back; `bytesReserved` falls by as much. A timer does the
   * same for segments that have stayed empty for the heap's `decayMs`.
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
    this.#checkLive();
    this.#retireKept();
    return this.#segments.trim(false, (p, n) => this.#pages.free(p, n));
  }

  // Every class's kept empty span goes to the empty list.
  #retireKept(): void {
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      const kept = this.#keptEmpty(cls);
      if (kept !== 0) this.#retire(kept, cls);
    }
  }

  // The decay rule for segments: a timer (which does not keep the process
  // alive) looks every decayMs / 2 and gives back, purged at once, the
  // segments that were all empty at two looks in a row.
  #armTrim(): void {
    if (this.#decayMs === Infinity || this.#destroyed) return;
    const timer = setTimeout(() => {
      this.#trimTimer = undefined;
      if (this.#destroyed) return;
      this.#retireKept();
      const pages = this.#pages;
      this.#segments.trim(true, (p, n) => pages.discard(p, n));
      if (this.#segments.anyIdle) this.#armTrim();
    }, this.#decayMs / 2);
    unrefTimer(timer);
    this.#trimTimer = timer;
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
    this.#unwatch();
    clearTimeout(this.#trimTimer);
    const pages = this.#pages;
    this.#large.releaseAll();
    this.#segments.releaseAll();
    if (!pages.destroyed) pages.free(this.#ownPage, SPAN_SIZE);
    if (this.#ownsPages) pages.destroy();
    // An empty table sends every later call down the slow paths, which throw.
    this.#table.reset();
    this.#partial.fill(0);
    this.#full.fill(0);
    this.#listedSpans = 0;
    this.#smallBytesUsed = 0;
  }

  /** Same as {@linkcode Heap.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  #notePeak(): void {
    this.#peakReserved = Math.max(this.#peakReserved, this.bytesReserved);
  }

  // The page source's OutOfMemoryError for a request of `size` bytes, told
  // in the heap's terms (other errors pass through).
  #outOfMemory(
    e: unknown,
    size: number,
    what = `a block of ${largeCapacity(size)} bytes`,
  ): unknown {
    if (!(e instanceof OutOfMemoryError)) return e;
    return new OutOfMemoryError(
      `Out of memory: the page source has no room for ${what} to hold ${size} bytes (the heap reserves ${this.bytesReserved} bytes); use a page source with a larger reserve`,
      size,
    );
  }

  // The page of the live allocation that starts at `ptr` (with `size`, if
  // known); throws saying why if there is none.
  #locate(ptr: number, size: number | undefined): number {
    this.#checkLive();
    return locate(this.#table, this.#large, this.memory, ptr, size);
  }

  // The cold path of a broken free list (docs/design.md#free-list-repair):
  // rebuilds the span's list from its bitmap and returns the error to throw.
  // `rel` is the free chunk whose link `next` is no free chunk, or 0 when
  // the list ran out with free chunks left unreachable.
  #repair(
    span: number,
    cls: number,
    rel: number,
    next: number,
  ): HeapCorruptionError {
    const listed = this.#table.rebuildFreeList(span, cls, this.#u32, rel);
    const at = span * SPAN_SIZE;
    const where = `the span of ${CLASS_SIZE[cls]}-byte chunks at ${hex(at)}`;
    const found = rel !== 0
      ? `free chunk ${hex(at + rel)} of ${where} links to offset ${
        hex(next)
      }, which is no free chunk of the span`
      : `${
        listed === 1 ? "1 free chunk" : `${listed} free chunks`
      } of ${where} ${
        listed === 1 ? "was" : "were"
      } on no free list (a link was overwritten with a later free chunk's offset)`;
    return new HeapCorruptionError(
      `Write after free found: ${found}. The heap rebuilt the span's free list from its allocation bitmap, so no chunk is lost or handed out twice; this call allocated nothing and can be repeated (a DebugAllocator finds the code that wrote after free)`,
      rel !== 0
        ? { span: at, chunk: at + rel, link: next, repaired: true }
        : { span: at, repaired: true },
    );
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError("Heap was used after destroy(): make a new one");
    }
    if (this.#pages.destroyed) {
      throw new DestroyedError(
        "Heap was used after its page source was destroyed: its memory is gone; make a new heap on a live page source",
      );
    }
  }
}
