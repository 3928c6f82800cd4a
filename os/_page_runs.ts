// Bookkeeping of the runs of pages in a page source's range, in page numbers
// (docs/design.md#page-runs). It touches no memory: the page source zeroes and
// releases pages.
//
//   page 0  first                                      top               limit
//   ├──┼────┼──────┬───────┬──────┬───────┬──────┬───┼──────────────────┤
//   │ø │ ·· │ live │ dirty │ live │ clean │ live │ … │ clean, never used │
//   └──┴────┴──────┴───────┴──────┴───────┴──────┴───┴──────────────────┘
//
// Pages below `first` (page 0, the null page, and for WasmPages the module's
// own memory) are never handed out. Every page in [first, top) is in exactly
// one run: live; free and dirty (freed,
// still holding old data and memory: "retained"); or free and clean (zero,
// its memory given back). Free runs merge with free neighbours of the same
// state at once; a clean run that reaches `top` lowers `top` instead.
//
// Per-page tables (flat typed arrays covering [0, top), so a lookup is one
// index), read at a run's first page unless said otherwise:
//   run        +pages for a live run, -pages for a free run, 0 elsewhere
//   lastStart  at a free run's LAST page: its first page (to merge backwards)
//   dirty      1 for a dirty free run
//   next/prev  links of the size-bin list the free run is on
//   newer/older, freedAt   links of the age list of dirty runs (oldest
//              first) and when each was freed, for purging by age
//
// Free runs sit in size bins — exact page counts 1..32, then four bins per
// doubling — one set of bins for dirty runs and one for clean ones, each found
// in O(1) through a bitmask of non-empty bins. A bin is a list with the most
// recently freed run first, so reuse takes the run most likely still in cache.
//
// Private tables are sized to the pages in use, not to the high-water mark:
// they grow by a quarter (in steps of TABLE_STEP pages) when `top` passes
// their end, and shrink to `top` plus a quarter once `top` falls to half their
// length (pages given back at the top: purge, decay, a clean free), so a
// range that was large once and is small now keeps small tables; destroy()
// drops them. Shared tables are made at full size once (every worker maps
// the same storage).
import { refit, release } from "../internal/grow.ts";
import {
  BIN_COUNT,
  binOf,
  DECAYING,
  DIRTY_PAGES,
  EXACT_BINS,
  FIRST,
  FREE_RUNS,
  HEADER_WORDS,
  HEADS,
  HIGH_WATER,
  initStorage,
  LIMIT,
  LIVE_PAGES,
  LIVE_RUNS,
  MASK_WORDS,
  MASKS,
  NEWEST,
  OLDEST,
  storageBytes,
  TABLE_BYTES_PER_PAGE,
  tableLength,
  TAKEN_DIRTY,
  TOP,
} from "./_run_layout.ts";

// A bin that may hold runs smaller than wanted is searched this far for one
// that fits before a larger bin is taken.
const FIT_SEARCH = 8;

const DIRTY = 0;
const CLEAN = 1;

/**
 * Page-run bookkeeping; see the diagram at the top of this file. Private
 * bookkeeping sizes its tables to the pages in use; shared bookkeeping
 * ({@linkcode PageRuns.shared}) lives in one `SharedArrayBuffer` at full size,
 * so that every worker that attaches to it sees one state (the caller holds a
 * lock around every call).
 */
export class PageRuns {
  /** Number of pages in the range. */
  readonly limit: number;
  /** The first page that can be handed out (at least 1: page 0 is null). */
  readonly first: number;

  #h: Int32Array;
  #run: Int32Array;
  #lastStart: Int32Array;
  #dirty: Uint8Array;
  #next: Int32Array;
  #prev: Int32Array;
  #newer: Int32Array;
  #older: Int32Array;
  #freedAt: Float64Array;
  // Bin heads: dirty bins first, then clean bins; bit b of the masks is set
  // when bin b is non-empty (dirty words first, then clean words).
  #heads: Int32Array;
  #masks: Int32Array;
  #growable: boolean;

  /**
   * Private bookkeeping of `limit` pages, handing out pages from `first` on;
   * or, with `storage`, the shared bookkeeping in it (made by
   * {@linkcode PageRuns.shared}).
   */
  constructor(limit: number, first = 1, storage?: SharedArrayBuffer) {
    // Private: the header alone in its buffer, the tables apart (resized).
    const tables = storage === undefined
      ? tableLength(first + 1, limit)
      : limit;
    const buffer = storage ??
      initStorage(new ArrayBuffer(HEADER_WORDS * 4), limit, first);
    const h = new Int32Array(buffer, 0, HEADER_WORDS);
    this.limit = h[LIMIT];
    this.first = h[FIRST];
    this.#h = h;
    this.#heads = h.subarray(HEADS, HEADS + 2 * BIN_COUNT);
    this.#masks = h.subarray(MASKS, MASKS + 2 * MASK_WORDS);
    this.#growable = storage === undefined;
    if (storage === undefined) {
      this.#freedAt = new Float64Array(tables);
      this.#run = new Int32Array(tables);
      this.#lastStart = new Int32Array(tables);
      this.#next = new Int32Array(tables);
      this.#prev = new Int32Array(tables);
      this.#newer = new Int32Array(tables);
      this.#older = new Int32Array(tables);
      this.#dirty = new Uint8Array(tables);
      return;
    }
    let at = HEADER_WORDS * 4;
    this.#freedAt = new Float64Array(buffer, at, tables);
    at += tables * 8;
    const table = () => {
      const t = new Int32Array(buffer, at, tables);
      at += tables * 4;
      return t;
    };
    this.#run = table();
    this.#lastStart = table();
    this.#next = table();
    this.#prev = table();
    this.#newer = table();
    this.#older = table();
    this.#dirty = new Uint8Array(buffer, at, tables);
  }

  /**
   * Bytes of this bookkeeping: the header and the per-page tables (for
   * shared bookkeeping, its whole storage).
   */
  get tableBytes(): number {
    if (!this.#growable) return this.#h.buffer.byteLength;
    return HEADER_WORDS * 4 + this.#run.length * TABLE_BYTES_PER_PAGE;
  }

  /**
   * Drops the per-page tables of private bookkeeping (its page source is
   * destroyed); the counters stay readable. Shared storage stays: other
   * workers may hold it.
   */
  drop(): void {
    if (this.#growable) this.#resizeTables(0);
  }

  /**
   * Makes the storage of shared bookkeeping of `limit` pages from `first` on,
   * for `new PageRuns(limit, first, storage)` in every worker.
   */
  static shared(limit: number, first = 1): SharedArrayBuffer {
    return initStorage(
      new SharedArrayBuffer(storageBytes(limit)),
      limit,
      first,
    );
  }

  /** First page of the clean region at the end (never used, or given back). */
  get top(): number {
    return this.#h[TOP];
  }
  set top(page: number) {
    this.#h[TOP] = page;
  }

  /** Highest `top` ever reached: every page below it has been touched. */
  get highWater(): number {
    return this.#h[HIGH_WATER];
  }

  /** Pages in live runs. */
  get livePages(): number {
    return this.#h[LIVE_PAGES];
  }

  /** Number of live runs. */
  get liveRuns(): number {
    return this.#h[LIVE_RUNS];
  }

  /**
   * Whether a page source on these runs has a finite decay time (any of the
   * instances sharing them): set for good by {@linkcode PageRuns.noteDecaying}.
   */
  get decaying(): boolean {
    return this.#h[DECAYING] !== 0;
  }

  /** Notes that a page source on these runs gives freed pages back by age. */
  noteDecaying(): void {
    Atomics.store(this.#h, DECAYING, 1);
  }

  /** Free pages that still hold data (retained: not given back, not zeroed). */
  get dirtyPages(): number {
    return this.#h[DIRTY_PAGES];
  }

  /** Number of free runs below `top`. */
  get freeRuns(): number {
    return this.#h[FREE_RUNS];
  }

  /**
   * How many pages at the start of the pages last handed out by
   * {@linkcode PageRuns.take} or {@linkcode PageRuns.takeAligned} are dirty:
   * the caller zeroes them (the rest read as zero already). After
   * {@linkcode PageRuns.growInPlace}, how many of the new pages were dirty.
   */
  get takenDirty(): number {
    return this.#h[TAKEN_DIRTY];
  }

  /** The page count of the live run starting at `start`, or undefined. */
  liveRun(start: number): number | undefined {
    const pages = this.#run[start];
    return pages > 0 ? pages : undefined;
  }

  /**
   * Takes `pages` pages: the most recently freed dirty run that fits, else a
   * clean one, else pages at the top. Returns the start page, or -1 if
   * nothing fits; {@linkcode PageRuns.takenDirty} says what to zero.
   */
  take(pages: number): number {
    // The common case first: an exact-size dirty run.
    if (pages <= EXACT_BINS) {
      const start = this.#heads[pages - 1];
      if (start !== 0) {
        this.#unlinkFree(start, pages, DIRTY);
        this.#setLive(start, pages);
        this.#h[TAKEN_DIRTY] = pages;
        return start;
      }
    }
    for (let state = DIRTY; state <= CLEAN; state++) {
      const start = this.#fit(pages, state);
      if (start === -1) continue;
      this.#takeFront(start, pages, state);
      this.#setLive(start, pages);
      return start;
    }
    // At the top, starting in the dirty run that ends there if there is one.
    const below = this.#freeEndingAt(this.top);
    const length = below === 0 ? 0 : -this.#run[below];
    if (length >= pages) {
      // Longer than #fit searched: take its front as from a bin.
      this.#takeFront(below, pages, DIRTY);
      this.#setLive(below, pages);
      return below;
    }
    const start = below === 0 ? this.top : below;
    if (start + pages > this.limit) return -1;
    this.#cover(start + pages);
    if (below !== 0) this.#unlinkFree(below, length, DIRTY);
    this.#h[TAKEN_DIRTY] = length;
    this.#raiseTop(start + pages);
    this.#setLive(start, pages);
    return start;
  }

  /**
   * Takes `pages` pages starting at a page `p` with `(p + bias) % align`
   * zero (`align` a power of two, in pages): the most recently freed dirty
   * run that holds such a stretch, else a clean one, else pages at the top
   * (up to the stretch's end only, so that a range filled to its limit still
   * fits one). The unaligned head and tail of what was taken go back to the
   * free runs in the state they were in (dirty ones as freed at `now`).
   * Returns the start page, or -1 if nothing fits;
   * {@linkcode PageRuns.takenDirty} counts the dirty pages at its start.
   */
  takeAligned(pages: number, align: number, bias: number, now: number): number {
    const mask = align - 1;
    for (let state = DIRTY; state <= CLEAN; state++) {
      const from = this.#fitAligned(pages, mask, bias, state);
      if (from === -1) continue;
      const length = -this.#run[from];
      this.#unlinkFree(from, length, state);
      const dirtyEnd = state === DIRTY ? from + length : from;
      const start = from + (-(from + bias) & mask);
      return this.#trim(from, from + length, start, pages, dirtyEnd, now);
    }
    // At the top, starting in the dirty run that ends there if there is one
    // (#fitAligned found it too short).
    const top = this.top;
    const below = this.#freeEndingAt(top);
    const from = below === 0 ? top : below;
    const start = from + (-(from + bias) & mask);
    if (start + pages > this.limit) return -1;
    // (A dirty run deeper in its bin than searched may hold it already.)
    const end = Math.max(start + pages, top);
    this.#cover(end);
    if (below !== 0) this.#unlinkFree(below, top - below, DIRTY);
    if (end > top) this.#raiseTop(end);
    return this.#trim(from, end, start, pages, top, now);
  }

  // The start of a free run in `state` holding `pages` pages from a page `p`
  // with `(p + bias) & mask` zero, or -1. Each bin that may hold runs too
  // short is searched FIT_SEARCH runs deep; a bin of runs `mask` pages
  // longer than wanted fits at its first.
  #fitAligned(
    pages: number,
    mask: number,
    bias: number,
    state: number,
  ): number {
    for (let bin = this.#nextBin(binOf(pages), state); bin !== -1;) {
      let start = this.#heads[state * BIN_COUNT + bin];
      for (let i = 0; start !== 0 && i <= FIT_SEARCH; i++) {
        const aligned = start + (-(start + bias) & mask);
        if (aligned + pages <= start - this.#run[start]) return start;
        start = this.#next[start];
      }
      bin = this.#nextBin(bin + 1, state);
    }
    return -1;
  }

  // Makes the pages [start, start + pages) of the taken, unlisted pages
  // [from, to) live, and frees the rest: dirty below `dirtyEnd`, clean from
  // there on. Returns `start`.
  #trim(
    from: number,
    to: number,
    start: number,
    pages: number,
    dirtyEnd: number,
    now: number,
  ): number {
    const end = start + pages;
    this.#setLive(start, pages);
    // The tail first: a clean one at the top lowers the top.
    this.#freeSplit(end, to, dirtyEnd, now);
    this.#freeSplit(from, start, dirtyEnd, now);
    this.#h[TAKEN_DIRTY] = Math.min(Math.max(dirtyEnd - start, 0), pages);
    return start;
  }

  // Frees the pages [from, to) that are not live, dirty below `dirtyEnd` and
  // clean from there on.
  #freeSplit(from: number, to: number, dirtyEnd: number, now: number): void {
    const split = Math.min(Math.max(dirtyEnd, from), to);
    if (split < to) this.#free(split, to - split, CLEAN, 0);
    if (from < split) this.#free(from, split - from, DIRTY, now);
  }

  /**
   * Grows the live run at `start` from `pages` to `newPages` in place if the
   * pages after it are free (free runs in either state, in any order, then
   * the top if they reach it); returns whether it did. The last free run
   * taken keeps the rest of its pages free, in its state and (dirty) as old
   * as it was. Before anything changes, `zero(page, pages)` is called for
   * each stretch of dirty pages that will be taken (they hold old data; the
   * rest read as zero): the caller zeroes them.
   */
  growInPlace(
    start: number,
    pages: number,
    newPages: number,
    zero: (page: number, pages: number) => void,
  ): boolean {
    const end = start + pages, want = start + newPages, top = this.top;
    // Every page below `top` is in one run: walk the free ones from `end`.
    let at = end;
    while (at < want && at < top) {
      const length = -this.#run[at];
      if (length <= 0) return false; // a live run in the way
      at += length;
    }
    if (want > top) {
      if (want > this.limit) return false;
      this.#cover(want);
    }
    for (at = end; at < want && at < top; at -= this.#run[at]) {
      if (this.#dirty[at] === 1) {
        zero(at, Math.min(-this.#run[at], want - at));
      }
    }
    let dirty = 0;
    for (at = end; at < want && at < top;) {
      const length = -this.#run[at];
      const taken = Math.min(length, want - at);
      const state = this.#dirty[at] === 1 ? DIRTY : CLEAN;
      this.#takeFront(at, taken, state);
      if (state === DIRTY) dirty += taken;
      at += length;
    }
    if (want > top) this.#raiseTop(want);
    this.#h[TAKEN_DIRTY] = dirty;
    this.#run[start] = newPages;
    this.#h[LIVE_PAGES] += newPages - pages;
    return true;
  }

  // Takes the first `pages` pages of the free run at `start` in `state`; the
  // rest stays free where it was in the age order.
  #takeFront(start: number, pages: number, state: number): void {
    const length = -this.#run[start];
    this.#unbin(start, length, state);
    if (length > pages) {
      this.#bin(start + pages, length - pages, state);
      if (state === DIRTY) this.#ageReplace(start, start + pages);
    } else if (state === DIRTY) {
      this.#ageUnlink(start);
    }
    if (state === DIRTY) this.#h[DIRTY_PAGES] -= pages;
    this.#h[TAKEN_DIRTY] = state === DIRTY ? pages : 0;
  }

  // Takes the whole free run at `start` of `pages` pages off every list.
  #unlinkFree(start: number, pages: number, state: number): void {
    this.#unbin(start, pages, state);
    if (state === DIRTY) {
      this.#ageUnlink(start);
      this.#h[DIRTY_PAGES] -= pages;
    }
  }

  /**
   * Shrinks the live run at `start` to `newPages`, keeping its tail as a
   * dirty free run freed at time `now`.
   */
  shrink(start: number, pages: number, newPages: number, now: number): void {
    this.#unliveTail(start, pages, newPages);
    this.#free(start + newPages, pages - newPages, DIRTY, now);
  }

  /**
   * Shrinks the live run at `start` to `newPages`; its tail has been given
   * back already (a clean free run).
   */
  shrinkClean(start: number, pages: number, newPages: number): void {
    this.#unliveTail(start, pages, newPages);
    this.#free(start + newPages, pages - newPages, CLEAN, 0);
  }

  /**
   * Frees the live run at `start` of `pages` pages, kept as a dirty free run
   * freed at time `now`.
   */
  give(start: number, pages: number, now: number): void {
    this.#unlive(start, pages);
    this.#free(start, pages, DIRTY, now);
  }

  /**
   * Frees the live run at `start` of `pages` pages, whose memory has been
   * given back already (a clean free run).
   */
  giveClean(start: number, pages: number): void {
    this.#unlive(start, pages);
    this.#free(start, pages, CLEAN, 0);
  }

  #unlive(start: number, pages: number): void {
    this.#run[start] = 0;
    this.#h[LIVE_RUNS]--;
    this.#h[LIVE_PAGES] -= pages;
  }

  #unliveTail(start: number, pages: number, newPages: number): void {
    this.#run[start] = newPages;
    this.#h[LIVE_PAGES] -= pages - newPages;
  }

  /** The first page of the oldest dirty run, or 0 if there is none. */
  get oldestDirty(): number {
    return this.#h[OLDEST];
  }

  /** When the dirty run at `start` was freed. */
  freedAt(start: number): number {
    return this.#freedAt[start];
  }

  /** The page count of the free run at `start`. */
  freeRun(start: number): number {
    return -this.#run[start];
  }

  /**
   * Marks the first `pages` pages of the dirty run at `start` clean (their
   * memory has been given back); the rest stays dirty, as old as it was.
   */
  markClean(start: number, pages: number): void {
    this.#takeFront(start, pages, DIRTY);
    this.#free(start, pages, CLEAN, 0);
  }

  #setLive(start: number, pages: number): void {
    this.#run[start] = pages;
    this.#h[LIVE_RUNS]++;
    this.#h[LIVE_PAGES] += pages;
  }

  // Puts `pages` pages at `start` on the free lists in `state`, merging them
  // with free neighbours in the same state (or into the top, when clean). A
  // merged dirty run counts as freed `now`, with its newest part.
  #free(start: number, pages: number, state: number, now: number): void {
    const flag = state === DIRTY ? 1 : 0;
    const before = this.#freeEndingAt(start);
    if (before !== 0 && this.#dirty[before] === flag) {
      const length = -this.#run[before];
      this.#unlinkFree(before, length, state);
      start = before;
      pages += length;
    }
    const after = start + pages;
    if (
      after < this.top && this.#run[after] < 0 && this.#dirty[after] === flag
    ) {
      const length = -this.#run[after];
      this.#unlinkFree(after, length, state);
      pages += length;
    }
    if (state === CLEAN) {
      if (start + pages !== this.top) this.#bin(start, pages, CLEAN);
      else {
        this.top = start;
        // Given back at the top: shrink the tables once they are twice
        // what is in use.
        if (start <= this.#run.length >>> 1 && this.#growable) {
          const length = tableLength(start, this.limit);
          try {
            if (length < this.#run.length) this.#resizeTables(length);
          } catch {
            // The engine cannot make them: the larger ones serve as well.
          }
        }
      }
      return;
    }
    this.#bin(start, pages, DIRTY);
    this.#ageAppend(start, now);
    this.#h[DIRTY_PAGES] += pages;
  }

  // The first page of the free run whose last page is `page - 1`, or 0.
  #freeEndingAt(page: number): number {
    if (page <= this.first) return 0;
    const start = this.#lastStart[page - 1];
    return start > 0 && start < page && this.#run[start] < 0 &&
        start - this.#run[start] === page
      ? start
      : 0;
  }

  // The start of a free run in `state` of at least `pages` pages, or -1.
  #fit(pages: number, state: number): number {
    const want = binOf(pages);
    for (let bin = this.#nextBin(want, state); bin !== -1;) {
      let start = this.#heads[state * BIN_COUNT + bin];
      // Exact bins and bins above `want` fit at once; `want`'s own may not.
      if (bin === want && bin >= EXACT_BINS) {
        for (let i = 0; start !== 0 && -this.#run[start] < pages; i++) {
          start = i < FIT_SEARCH ? this.#next[start] : 0;
        }
      }
      if (start !== 0) return start;
      bin = this.#nextBin(bin + 1, state);
    }
    return -1;
  }

  #nextBin(from: number, state: number): number {
    const masks = this.#masks;
    for (let word = from >> 5; word < MASK_WORDS; word++) {
      const m = masks[state * MASK_WORDS + word] &
        (word === from >> 5 ? -1 << (from & 31) : -1);
      if (m !== 0) return (word << 5) + 31 - Math.clz32(m & -m);
    }
    return -1;
  }

  // Puts the free run on its size bin's list (most recent first).
  #bin(start: number, pages: number, state: number): void {
    this.#run[start] = -pages;
    this.#lastStart[start + pages - 1] = start;
    this.#dirty[start] = state === DIRTY ? 1 : 0;
    const bin = binOf(pages);
    const head = state * BIN_COUNT + bin;
    const first = this.#heads[head];
    this.#next[start] = first;
    this.#prev[start] = 0;
    if (first !== 0) this.#prev[first] = start;
    this.#heads[head] = start;
    this.#masks[state * MASK_WORDS + (bin >> 5)] |= 1 << (bin & 31);
    this.#h[FREE_RUNS]++;
  }

  #unbin(start: number, pages: number, state: number): void {
    this.#run[start] = 0;
    const bin = binOf(pages);
    const head = state * BIN_COUNT + bin;
    const prev = this.#prev[start], next = this.#next[start];
    if (prev === 0) this.#heads[head] = next;
    else this.#next[prev] = next;
    if (next !== 0) this.#prev[next] = prev;
    if (this.#heads[head] === 0) {
      this.#masks[state * MASK_WORDS + (bin >> 5)] &= ~(1 << (bin & 31));
    }
    this.#h[FREE_RUNS]--;
  }

  // The age list of dirty runs: oldest first. `now` never goes back, so
  // appending keeps it in age order.
  #ageAppend(start: number, now: number): void {
    this.#freedAt[start] = now;
    this.#older[start] = this.#h[NEWEST];
    this.#newer[start] = 0;
    if (this.#h[NEWEST] !== 0) this.#newer[this.#h[NEWEST]] = start;
    else this.#h[OLDEST] = start;
    this.#h[NEWEST] = start;
  }

  #ageUnlink(start: number): void {
    const older = this.#older[start], newer = this.#newer[start];
    if (older === 0) this.#h[OLDEST] = newer;
    else this.#newer[older] = newer;
    if (newer === 0) this.#h[NEWEST] = older;
    else this.#older[newer] = older;
  }

  // The dirty run at `from` now starts at `to`: it keeps its place and age.
  #ageReplace(from: number, to: number): void {
    const older = this.#older[from], newer = this.#newer[from];
    this.#older[to] = older;
    this.#newer[to] = newer;
    this.#freedAt[to] = this.#freedAt[from];
    if (older === 0) this.#h[OLDEST] = to;
    else this.#newer[older] = to;
    if (newer === 0) this.#h[NEWEST] = to;
    else this.#older[newer] = to;
  }

  // Grows the private tables to cover the pages below `top` (and a quarter),
  // before anything changes: if the engine cannot make them, the state is
  // as it was. Shared tables are at the limit already.
  #cover(top: number): void {
    if (top > this.#run.length) {
      this.#resizeTables(tableLength(top, this.limit));
    }
  }

  // Raises the top to `top`, which the tables cover already.
  #raiseTop(top: number): void {
    const h = this.#h;
    h[TOP] = top;
    if (top > h[HIGH_WATER]) h[HIGH_WATER] = top;
  }

  // Gives every private per-page table `length` entries, keeping the first
  // ones (every page below `top` fits). All are made before any is replaced,
  // so that a failed allocation changes none.
  #resizeTables(length: number): void {
    const run = new Int32Array(length), lastStart = new Int32Array(length);
    const dirty = new Uint8Array(length), next = new Int32Array(length);
    const prev = new Int32Array(length), newer = new Int32Array(length);
    const older = new Int32Array(length), freedAt = new Float64Array(length);
    const old = [
      this.#run,
      this.#lastStart,
      this.#dirty,
      this.#next,
      this.#prev,
      this.#newer,
      this.#older,
      this.#freedAt,
    ];
    this.#run = refit(this.#run, run);
    this.#lastStart = refit(this.#lastStart, lastStart);
    this.#dirty = refit(this.#dirty, dirty);
    this.#next = refit(this.#next, next);
    this.#prev = refit(this.#prev, prev);
    this.#newer = refit(this.#newer, newer);
    this.#older = refit(this.#older, older);
    this.#freedAt = refit(this.#freedAt, freedAt);
    old.forEach(release);
  }
}
