// The state a Heap keeps out of its hot paths, and the rare branches that
// use it: its page source and tables, the slow sides of alloc and free
// (new spans, large blocks, pointers that fail a fast check), the
// out-of-memory messages, trim and the decay timer, validate and destroy.
// heap.ts keeps the fast paths and the few fields they read; it holds one
// HeapState and calls in here off them.
import { checkOptions, checkSize, kindOf } from "../internal/checks.ts";
import { checkKeepOptions } from "../internal/options.ts";
import { noteEnd } from "../internal/parent_chain.ts";
import { noteDetached, whenRevoked } from "../internal/revoke.ts";
import { unrefTimer } from "../internal/timers.ts";
import { defaultPages } from "../os/default_pages.ts";
import { DestroyedError, OutOfMemoryError } from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import { PageSource } from "../os/page_source.ts";
import { realBias } from "./_alignment.ts";
import {
  ALIGNED_OFFSET,
  BITMAP_WORD_SHIFT,
  CHUNK_SHIFT,
  CHUNKS,
  CLASS_SIZE,
  largeCapacity,
  SEGMENT_SIZE,
  SPAN_CLASSES,
  SPAN_SIZE,
  SPANS_PER_SEGMENT,
} from "./_geometry.ts";
import { LargeBlocks } from "./_large_blocks.ts";
import { CACHE_PAGES } from "./_run_cache.ts";
import { locate } from "./_pointer_errors.ts";
import { Segments } from "./_segments.ts";
import { repairSpan, SpanLists } from "./_spans.ts";
import {
  BITS,
  FRESH,
  HEAD_MASK,
  HEADER_PAGE,
  KIND,
  LARGE,
  LIST,
  MAX_SIZE,
  MIN_SIZE,
  NONE,
  ROW,
  SpanTable,
  USED_ONE,
  USED_SHIFT,
} from "./_span_table.ts";
import { validateHeap } from "./_validate.ts";
import type { HeapOptions } from "./heap_types.ts";

/** How a size check names the heap's limit, {@linkcode HeapState.maxSize}. */
export const SIZE_LIMIT = "the largest allocation this page source can hold";

/** One heap's page source, tables and lists, and its slow paths. */
export class HeapState {
  readonly memory: Memory;
  readonly pages: PageSource;
  readonly ownsPages: boolean;
  readonly ownPage: number;
  destroyed = false;
  /** The largest size the page source could hold. */
  readonly maxSize: number;
  /** The largest size a kept run may serve: 64 KiB, or maxSize if less. */
  readonly maxKept: number;
  /** The real address of pointer 0 modulo 65536 (see realBias). */
  readonly bias: number;
  readonly table: SpanTable = new SpanTable();
  readonly large: LargeBlocks;
  readonly spans: SpanLists;
  readonly segments: Segments;
  readonly decayMs: number;
  trimTimer: ReturnType<typeof setTimeout> | undefined;
  peakReserved = 0;
  // The memory's views, emptied when it is revoked (a WasmPages or
  // SharedPages destroyed), as detaching does.
  u8: Uint8Array;
  u32: Uint32Array;
  /** Called when the memory is revoked, after the views above are emptied. */
  onRevoked: () => void = () => {};
  /**
   * The heap's alloc for resize: a block for `size` at `alignment` (above
   * 16, or undefined for the natural 16), reading as zero from `zeroFrom`
   * on (a chunk from its 16-byte step down).
   */
  allocBlock: (
    size: number,
    zeroFrom: number,
    alignment: number | undefined,
  ) => number = () => 0;
  /**
   * Told whether a freed block needs no decay timer armed (one is, or decay
   * is off): the heap's free of a medium block tests its copy before calling
   * out. (Spans keep the same fact in their MOVE_AT words.)
   */
  onTimed: (timed: boolean) => void = () => {};
  #watcher = {
    revoked: () => {
      this.u8 = new Uint8Array(0);
      this.u32 = new Uint32Array(0);
      this.onRevoked();
    },
  };
  #unwatch: () => void;

  constructor(options: HeapOptions) {
    checkOptions(options, "Heap", "{ pages }", ["pages", "decayMs"]);
    if (options.pages !== undefined && !(options.pages instanceof PageSource)) {
      const got = options.pages as unknown;
      throw new TypeError(
        `Pages must be a page source (OsPages, BufferPages, WasmPages or SharedPages), or left out for the heap's own, got ${
          kindOf(got)
        }`,
      );
    }
    checkKeepOptions({ decayMs: options.decayMs });
    this.ownsPages = options.pages === undefined;
    this.pages = options.pages ?? defaultPages();
    this.memory = this.pages.memory;
    this.u8 = this.memory.u8;
    this.u32 = this.memory.u32;
    this.#unwatch = whenRevoked(this.memory, this.#watcher);
    this.bias = realBias(this.memory);
    // The largest block the reserve can hold beside the heap's own page:
    // a page source keeps its first page from use (address 0 is null).
    this.maxSize = Math.max(0, this.pages.reservedBytes - 2 * SPAN_SIZE);
    this.maxKept = Math.min(this.maxSize, CACHE_PAGES * SPAN_SIZE);
    this.segments = new Segments(this.table, this.pages);
    this.spans = new SpanLists(this.table, this.segments, this.memory);
    this.decayMs = options.decayMs ?? this.pages.decayMs;
    this.spans.setTimed(this.decayMs === Infinity);
    this.large = new LargeBlocks(
      this.table,
      this.pages,
      () => this.notePeak(),
      this.decayMs === Infinity ? undefined : () => {
        if (this.trimTimer === undefined) this.armTrim();
      },
      () => this.#giveBack(),
    );
    try {
      this.ownPage = this.pages.alloc(SPAN_SIZE);
    } catch (e) {
      if (this.ownsPages) this.pages.destroy();
      throw e;
    }
    const page = this.ownPage / SPAN_SIZE;
    this.table.ensurePages(page + 1);
    this.table.set(page, KIND, HEADER_PAGE);
    this.notePeak();
  }

  /** Heap.bytesUsed. */
  get bytesUsed(): number {
    return this.spans.bytesUsed() + this.large.bytesUsed;
  }

  /** Heap.bytesReserved: the sum, whether destroyed or not. */
  get reserved(): number {
    return SPAN_SIZE + this.segments.count * SEGMENT_SIZE + this.large.held;
  }

  /** Heap.trimmableBytes. */
  get trimmable(): number {
    return this.segments.emptyBytes(this.spans.kept()) +
      this.large.cache.bytes;
  }

  /** Heap.emptySpans. */
  get emptySpans(): number {
    return this.segments.count * SPANS_PER_SEGMENT - this.spans.liveSpans;
  }

  /** Heap.tableBytes. */
  get tableBytes(): number {
    if (this.destroyed) return 0;
    const { partial, full } = this.spans;
    return this.table.bytes + partial.byteLength + full.byteLength +
      this.large.cache.tableBytes;
  }

  /** Called on every large alloc: the sum itself, not a getter's checks. */
  notePeak(): void {
    const reserved = this.reserved;
    if (reserved > this.peakReserved) this.peakReserved = reserved;
  }

  /**
   * A large block for `size`, as `Heap.alloc` makes it (`alignment`
   * checked; up to 16 it is the natural one).
   */
  allocLarge(size: number, zeroFrom = 0, alignment?: number): number {
    this.checkLive();
    this.checkSize(size);
    try {
      return this.large.alloc(
        size,
        zeroFrom,
        alignment !== undefined && alignment > 16 ? alignment : undefined,
      );
    } catch (e) {
      throw this.outOfMemory(e, size, alignment);
    }
  }

  /** Throws unless `size` is one the page source could hold. */
  checkSize(size: number, what = "Size"): void {
    checkSize(size, this.maxSize, what, SIZE_LIMIT);
  }

  /**
   * alloc of class `cls` when `span`, its first partial span (0: none), has
   * no free chunk: the span's fresh part, or a new span.
   */
  allocFresh(cls: number, span: number): number {
    // A destroyed page source's memory has no bytes to hand out (its view is
    // empty): checkLive says so (newSpan checks too).
    if (span === 0) span = this.newSpan(cls);
    else if (this.u8.length === 0) this.checkLive();
    const m = this.table.meta;
    const row = span * ROW;
    const classSize = CLASS_SIZE[cls];
    // Never handed out since the span was taken: zero already. A span goes
    // to the full list before its fresh part runs out, unless a write after
    // free made free chunks unreachable (a link to a later one).
    const rel = m[row + FRESH];
    if (rel + classSize > SPAN_SIZE) throw this.repair(span, cls, 0, 0);
    m[row + FRESH] = rel + classSize;
    m[row + BITS + (rel >> BITMAP_WORD_SHIFT)] |= 1 <<
      ((rel >> CHUNK_SHIFT) & 31);
    const list = m[row + LIST] + USED_ONE;
    m[row + LIST] = list;
    if (list >>> USED_SHIFT === CHUNKS[cls]) this.spans.toFull(span, cls);
    return span * SPAN_SIZE + rel;
  }

  /** free of anything but a live chunk: a large block, 0, or an error. */
  freeSlow(ptr: number, size: number | undefined): void {
    // A shift below 4 GiB (no float division); the page's row is then the
    // one check of pointer and size.
    const page = ptr >>> 0 === ptr ? ptr >>> 12 : (ptr / SPAN_SIZE) | 0;
    const table = this.table;
    if (
      this.u8.length !== 0 && table.get(page, KIND) === LARGE &&
      ptr === page * SPAN_SIZE &&
      (size === undefined || size === table.largeSize[page])
    ) return this.large.free(page);
    if (ptr !== 0) this.freeLive(this.reject(ptr, size), ptr);
  }

  /**
   * Frees the live allocation at `ptr`, whose page liveStart or reject
   * returned, as the heap's free does.
   */
  freeLive(page: number, ptr: number): void {
    const m = this.table.meta;
    const row = page * ROW;
    const kind = m[row + KIND];
    if (kind === LARGE) return this.large.free(page);
    const rel = ptr - page * SPAN_SIZE;
    m[row + BITS + (rel >> BITMAP_WORD_SHIFT)] ^= 1 <<
      ((rel >> CHUNK_SHIFT) & 31);
    const list = m[row + LIST];
    this.u32[ptr / 4] = list & HEAD_MASK;
    const after = (list & ~HEAD_MASK) - USED_ONE + rel;
    m[row + LIST] = after;
    const used = after >>> USED_SHIFT;
    // The heap's free skips the call when nothing would move.
    if (used === 0 || used === CHUNKS[kind - 1] - 1) this.moveSpan(page, used);
  }

  /** A span for class `cls`: from the empty list, or a new segment. */
  newSpan(cls: number): number {
    this.checkLive();
    const segments = this.segments.count;
    let span: number;
    try {
      span = this.#takeSpan(cls);
    } catch (e) {
      // A reservation smaller than a segment is out of memory too: the
      // request itself (a small size) is possible.
      const full = e instanceof RangeError ? new OutOfMemoryError("", 0) : e;
      // (The size asked is not known here: the chunk's is.)
      const size = CLASS_SIZE[cls];
      throw this.#noRoom(
        full,
        `a 64 KiB segment for a ${size}-byte chunk`,
        size,
      );
    }
    if (this.segments.count !== segments) this.notePeak();
    return span;
  }

  // A span for `cls`; if the page source has no room for a segment, what
  // the heap holds unused goes back to it first and the request is tried
  // once more.
  #takeSpan(cls: number): number {
    try {
      return this.spans.take(cls);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError) || this.#giveBack() === 0) throw e;
      return this.spans.take(cls);
    }
  }

  /** The heap's alloc filled class `cls`'s first partial span: it moves to the full list. */
  toFull(cls: number): void {
    this.spans.toFull(this.spans.partial[cls], cls);
  }

  /** A free left `span` empty (`used` 0) or no longer full. */
  moveSpan(span: number, used: number): void {
    const cls = this.table.get(span, KIND) - 1;
    if (used !== 0) return this.spans.toPartial(span, cls);
    this.spans.emptied(span, cls);
    if (this.trimTimer === undefined) this.armTrim();
  }

  /**
   * The page of the live allocation that starts at `ptr` (with `size`, if
   * given), or {@linkcode HeapState.reject}'s error.
   */
  liveStart(ptr: number, size: number | undefined): number {
    const t = this.table;
    const page = (ptr / SPAN_SIZE) | 0;
    const rel = ptr - page * SPAN_SIZE;
    const kind = t.get(page, KIND);
    if (this.u8.length === 0) return this.reject(ptr, size);
    if (kind !== NONE && kind <= SPAN_CLASSES) {
      if (
        (rel & ALIGNED_OFFSET) === rel && t.isAllocated(page, rel) &&
        (size === undefined ||
          (size <= MAX_SIZE[kind] && size >= MIN_SIZE[kind]))
      ) return page;
    } else if (
      kind === LARGE && rel === 0 &&
      (size === undefined || size === t.largeSize[page])
    ) return page;
    return this.reject(ptr, size);
  }

  /** Heap.usableSize. */
  usableSize(ptr: number): number {
    const page = this.liveStart(ptr, undefined);
    const kind = this.table.get(page, KIND);
    return kind === LARGE
      ? this.table.largeCapacity[page]
      : CLASS_SIZE[kind - 1];
  }

  /**
   * Called when `ptr` failed a fast check: throws saying why it is no live
   * allocation, or returns its page when it is one after all.
   */
  reject(ptr: number, size: number | undefined): number {
    this.checkLive();
    return locate(this.table, this.large, this.memory, ptr, size);
  }

  /**
   * A broken free list found by alloc: rebuilds the span's list and returns
   * the error to throw (after checking the memory is there: an empty view
   * of a revoked memory reads as a broken link).
   */
  repair(span: number, cls: number, rel: number, next: number): Error {
    this.checkLive();
    return repairSpan(this.table, this.u32, span, cls, rel, next);
  }

  /**
   * The page source's OutOfMemoryError for a large block for `size` bytes
   * at `alignment`, told in the heap's terms (other errors pass through).
   */
  outOfMemory(e: unknown, size: number, alignment?: number): unknown {
    // (Up to a page any run has the alignment: not worth naming.)
    const aligned = alignment !== undefined && alignment > SPAN_SIZE
      ? `, aligned to ${alignment},`
      : "";
    const capacity = Math.max(largeCapacity(size), SPAN_SIZE);
    return this.#noRoom(
      e,
      `a block of ${capacity} bytes${aligned} to hold ${size} bytes`,
      size,
    );
  }

  // The page source's OutOfMemoryError for `what` (`size` bytes), told in
  // the heap's terms; other errors pass through.
  #noRoom(e: unknown, what: string, size: number): unknown {
    if (!(e instanceof OutOfMemoryError)) return e;
    return new OutOfMemoryError(
      `Out of memory: the page source has no room for ${what} (the heap reserves ${this.reserved} bytes); use a page source with a larger reserve`,
      size,
    );
  }

  /** Throws if the heap or its page source was destroyed. */
  checkLive(): void {
    if (this.destroyed) {
      throw new DestroyedError("Heap was used after destroy(): make a new one");
    }
    if (this.pages.destroyed) {
      throw new DestroyedError(
        "Heap was used after its page source was destroyed: its memory is gone; make a new heap on a live page source",
      );
    }
    // Views empty but nothing destroyed: the buffer was detached under the
    // page source (a WebAssembly memory that its module grew, or a buffer
    // transferred away).
    if (this.u8.length === 0) {
      noteDetached(this.memory);
      throw new DestroyedError(
        this.pages.kind === "wasm"
          ? "Heap's memory was detached (a WebAssembly memory grown after WasmPages was made on it): make a new page source and heap, and let only the page source grow the memory"
          : "Heap's memory was detached: its buffer was transferred (by a BYOB stream read into its bytes, buffer.transfer() or a postMessage transfer list), which moves all of it out of the page source: make a new page source and heap, and read into a copy of the bytes instead",
      );
    }
  }

  /** Heap.validate. */
  validate(partial: Int32Array): void {
    this.checkLive();
    validateHeap({
      table: this.table,
      large: this.large,
      pages: this.pages,
      partial,
      full: this.spans.full,
      emptyTop: this.segments.emptyTop,
      liveSpans: this.spans.liveSpans,
      emptySpans: this.emptySpans,
      segments: this.segments.addresses,
      ownPage: this.ownPage,
      bytesUsed: this.bytesUsed,
      bytesReserved: this.reserved,
      peakReserved: this.peakReserved,
    });
  }

  /** Heap.trim. */
  trim(): number {
    this.checkLive();
    return this.#giveBack();
  }

  // Gives back to the page source all the heap holds unused: the kept empty
  // spans, every empty segment (idle or not) and the medium cache's runs;
  // returns their bytes. For trim(), and for a request the page source
  // refused, which is then tried once more: memory the heap keeps for
  // speed never makes an allocation fail.
  #giveBack(): number {
    this.spans.retireKept();
    const give = (p: number, n: number) => this.pages.free(p, n);
    const bytes = this.segments.trim(give, { idleTwice: false }) +
      this.large.releaseCache(give);
    this.#shrinkTable();
    return bytes;
  }

  // Cuts the span table to the pages the heap still holds (its own page,
  // its segments, its live large blocks), so that its bookkeeping falls
  // with its memory: the rows past them are of pages given back.
  #shrinkTable(): void {
    let end = Math.max(this.ownPage / SPAN_SIZE + 1, this.large.endPage());
    for (const segment of this.segments.addresses) {
      end = Math.max(end, (segment + SEGMENT_SIZE) / SPAN_SIZE);
    }
    this.table.shrinkTo(end);
  }

  // The decay rule for segments: a timer (which does not keep the process
  // alive) looks every decayMs / 2 and gives back, purged at once, the
  // segments that were all empty at two looks in a row; and every run the
  // medium cache keeps, to the page source, whose own decay then purges it.
  armTrim(): void {
    if (this.decayMs === Infinity || this.destroyed) return;
    this.spans.setTimed(true);
    this.onTimed(true);
    const timer = setTimeout(() => {
      this.trimTimer = undefined;
      this.spans.setTimed(false);
      this.onTimed(false);
      // The page source may be gone before the heap (destroyed, by another
      // worker too, or its memory detached): then nothing is left to give
      // back, and a timer must not throw.
      const pages = this.pages;
      if (this.destroyed || pages.destroyed || this.u8.length === 0) return;
      try {
        this.spans.retireKept();
        this.segments.trim((p, n) => pages.discard(p, n), { idleTwice: true });
        this.large.releaseCache((p, n) => pages.free(p, n));
        this.#shrinkTable();
      } catch {
        return; // destroyed meanwhile, by another worker
      }
      if (this.segments.anyIdle) this.armTrim();
    }, this.decayMs / 2);
    unrefTimer(timer);
    this.trimTimer = timer;
  }

  /** Heap.destroy. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    noteEnd();
    this.#unwatch();
    clearTimeout(this.trimTimer);
    const pages = this.pages;
    if (this.u8.length !== 0 || pages.destroyed) {
      this.large.releaseAll();
      this.segments.releaseAll();
      if (!pages.destroyed) pages.free(this.ownPage, SPAN_SIZE);
    } // else its memory was detached: the page source refuses every call
    if (this.ownsPages) pages.destroy();
    // An empty table sends every later call down the slow paths, which throw.
    this.table.reset();
    this.spans.reset();
  }
}
