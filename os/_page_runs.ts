// Bookkeeping of the runs of pages in a page source's range, in page numbers.
// It touches no memory: the page source zeroes and releases pages.
//
//   page 0      live and free runs, coalesced           top           limit
//   ├──┼──────┬──────┬───────────┬──────────┬─────────────┼──────────────┤
//   │ø │ live │ free │   live    │   free   │    live     │  never used  │
//   └──┴──────┴──────┴───────────┴──────────┴─────────────┴──────────────┘
//
// Per-page tables (typed arrays as long as the high-water mark, so a lookup is
// one index): `run[start]` is +pages for a live run and -pages for a free run
// (0 elsewhere); `startOf[last]` is a free run's start at its last page, so a
// freed neighbour is found in O(1); `dirty[page]` is 1 for a freed page that
// still holds data and must be zeroed before it is handed out again.
//
// Free runs below `top` sit in size bins (exact page counts 1..32, then one bin
// per power of two), found in O(1) through a bitmask of non-empty bins; within
// a bin the most recently freed run is taken first (its pages are likely still
// in cache and committed). A free run that reaches `top` lowers `top` instead.

import { grow } from "./_grow.ts";

const EXACT_BINS = 32;
/** The most pages a range can have (2^31 − 1: page counts fit an Int32Array). */
export const MAX_PAGES = 2 ** 31 - 1;
const BIN_COUNT = EXACT_BINS - 5 + 32;

function binOf(pages: number): number {
  return pages <= EXACT_BINS
    ? pages - 1
    : EXACT_BINS - 5 + (31 - Math.clz32(pages));
}

function lowestBit(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}

/** Page-run bookkeeping; see the diagram at the top of this file. */
export class PageRuns {
  /** Number of pages in the range; page 0 is never handed out. */
  readonly limit: number;
  /** First page of the never-used (or freed back) region at the end. */
  top = 1;
  /** Highest `top` ever reached: every page below it has been touched. */
  highWater = 1;
  /** Pages in live runs. */
  livePages = 0;
  /** Free pages that still hold data (not given back, not zeroed). */
  dirtyPages = 0;
  /** Number of live runs. */
  liveRuns = 0;
  /** Number of free runs below `top`. */
  freeRuns = 0;

  #run = new Int32Array(1024);
  #startOf = new Int32Array(1024);
  #dirty = new Uint8Array(1024);
  #binIndex = new Int32Array(1024);
  #bins: number[][] = Array.from({ length: BIN_COUNT }, () => []);
  #mask = [0, 0]; // bit b set when bin b is non-empty

  constructor(limit: number) {
    this.limit = limit;
  }

  /** The page count of the live run starting at `start`, or undefined. */
  liveRun(start: number): number | undefined {
    const pages = this.#run[start];
    return pages > 0 ? pages : undefined;
  }

  /** Takes `pages` pages; returns the start page, or -1 if nothing fits. */
  take(pages: number): number {
    const want = binOf(pages);
    for (
      let bin = this.#nextBin(want);
      bin !== -1;
      bin = this.#nextBin(bin + 1)
    ) {
      const runs = this.#bins[bin];
      // Exact bins and bins above `want` fit at once; `want`'s own log bin may not.
      let start = runs[runs.length - 1];
      if (bin === want && bin >= EXACT_BINS) {
        start = -1;
        for (let i = runs.length - 1; i >= 0; i--) {
          if (-this.#run[runs[i]] >= pages) {
            start = runs[i];
            break;
          }
        }
        if (start === -1) continue;
      }
      const length = -this.#run[start];
      this.#unbin(start, length);
      if (length > pages) this.#bin(start + pages, length - pages);
      this.#setLive(start, pages);
      return start;
    }
    if (this.top + pages > this.limit) return -1;
    const start = this.top;
    this.#raiseTop(start + pages);
    this.#setLive(start, pages);
    return start;
  }

  /**
   * Grows the live run at `start` from `pages` to `newPages` in place if the
   * pages after it are free; returns whether it did.
   */
  growInPlace(start: number, pages: number, newPages: number): boolean {
    const end = start + pages;
    const extra = newPages - pages;
    if (end === this.top) {
      if (this.top + extra > this.limit) return false;
      this.#raiseTop(end + extra);
    } else {
      const length = -this.#run[end];
      if (!(length >= extra)) return false;
      this.#unbin(end, length);
      if (length > extra) this.#bin(end + extra, length - extra);
    }
    this.#run[start] = newPages;
    this.livePages += extra;
    return true;
  }

  /** Shrinks the live run at `start` to `newPages`, freeing its tail. */
  shrink(start: number, pages: number, newPages: number): void {
    this.#run[start] = newPages;
    this.livePages -= pages - newPages;
    this.#release(start + newPages, pages - newPages);
  }

  /** Frees the live run at `start` of `pages` pages. */
  give(start: number, pages: number): void {
    this.#run[start] = 0;
    this.liveRuns--;
    this.livePages -= pages;
    this.#release(start, pages);
  }

  #setLive(start: number, pages: number): void {
    this.#run[start] = pages;
    this.liveRuns++;
    this.livePages += pages;
  }

  #release(start: number, pages: number): void {
    let length = pages;
    const before = this.#startOf[start - 1];
    if (this.#run[before] < 0 && before - this.#run[before] === start) {
      length -= this.#run[before];
      this.#unbin(before, -this.#run[before]);
      start = before;
    }
    const after = start + length;
    if (after < this.top && this.#run[after] < 0) {
      const afterLength = -this.#run[after];
      this.#unbin(after, afterLength);
      length += afterLength;
    }
    if (start + length === this.top) this.top = start;
    else this.#bin(start, length);
  }

  /** Marks `pages` free pages at `start` as dirty (retained, not zero). */
  markDirty(start: number, pages: number): void {
    // A loop: runs are short, and fill() costs more in call overhead.
    const dirty = this.#dirty;
    for (let i = start, end = start + pages; i < end; i++) dirty[i] = 1;
    this.dirtyPages += pages;
  }

  /**
   * Calls `clean(start, pages)` for each run of dirty pages in
   * `[from, from + pages)` and marks them clean.
   */
  cleanDirty(
    from: number,
    pages: number,
    clean: (start: number, pages: number) => void,
  ): void {
    if (this.dirtyPages === 0) return;
    const dirty = this.#dirty;
    const end = from + pages;
    for (let i = from; i < end;) {
      if (dirty[i] === 0) {
        i++;
        continue;
      }
      dirty[i] = 0;
      let j = i + 1;
      for (; j < end && dirty[j] === 1; j++) dirty[j] = 0;
      this.dirtyPages -= j - i;
      clean(i, j - i);
      i = j;
    }
  }

  /** What a page that is not the start of a live run is: for error messages. */
  describe(page: number): "free" | "interior" | "outside" {
    if (page <= 0 || page >= this.limit) return "outside";
    if (page >= this.top) return "free";
    for (let start = Math.min(page, this.top - 1); start > 0; start--) {
      const pages = this.#run[start];
      if (pages > 0) return page < start + pages ? "interior" : "free";
      if (pages < 0) return "free";
    }
    return "free";
  }

  #raiseTop(top: number): void {
    this.top = top;
    if (top <= this.highWater) return;
    this.highWater = top;
    if (top <= this.#run.length) return;
    // Grow every per-page table together, doubling, up to the limit.
    const length = Math.min(this.limit, Math.max(top, this.#run.length * 2));
    this.#run = grow(this.#run, new Int32Array(length));
    this.#startOf = grow(this.#startOf, new Int32Array(length));
    this.#binIndex = grow(this.#binIndex, new Int32Array(length));
    this.#dirty = grow(this.#dirty, new Uint8Array(length));
  }

  #nextBin(from: number): number {
    if (from < 32) {
      const m = this.#mask[0] & (-1 << from);
      if (m !== 0) return lowestBit(m);
      from = 32;
    }
    if (from < BIN_COUNT) {
      const m = this.#mask[1] & (-1 << (from - 32));
      if (m !== 0) return 32 + lowestBit(m);
    }
    return -1;
  }

  #bin(start: number, pages: number): void {
    this.#run[start] = -pages;
    this.#startOf[start + pages - 1] = start;
    const bin = binOf(pages);
    const runs = this.#bins[bin];
    this.#binIndex[start] = runs.length;
    runs.push(start);
    this.#mask[bin >> 5] |= 1 << (bin & 31);
    this.freeRuns++;
  }

  #unbin(start: number, pages: number): void {
    this.#run[start] = 0;
    const bin = binOf(pages);
    const runs = this.#bins[bin];
    const last = runs.pop()!;
    if (last !== start) {
      const index = this.#binIndex[start];
      runs[index] = last;
      this.#binIndex[last] = index;
    }
    if (runs.length === 0) this.#mask[bin >> 5] &= ~(1 << (bin & 31));
    this.freeRuns--;
  }
}
