// Bookkeeping of the runs of pages in a page source's range, in page numbers.
// It touches no memory: the page source zeroes and releases pages.
//
//   page 0      live and free runs, coalesced           top           limit
//   ├──┼──────┬──────┬───────────┬──────────┬─────────────┼──────────────┤
//   │ø │ live │ free │   live    │   free   │    live     │  never used  │
//   └──┴──────┴──────┴───────────┴──────────┴─────────────┴──────────────┘
//
// Free runs below `top` sit in size bins (exact page counts 1..32, then one bin
// per power of two) and are found in O(1) through a bitmask of non-empty bins.
// A freed run merges with free neighbours at once; a free run that reaches
// `top` lowers `top` instead of being binned. Pages freed but not yet given
// back to the OS are "dirty" (one byte per page): they must be zeroed before
// they are handed out again.

const EXACT_BINS = 32;
/** The largest run, in pages, that bins can hold (2^31 pages = 8 TiB). */
export const MAX_PAGES = 2 ** 31;
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
  /** First page that has never been handed out since it was last free. */
  top = 1;
  /** Highest `top` ever reached: every page below it has been touched. */
  highWater = 1;
  /** Pages in live runs. */
  livePages = 0;
  /** Free pages that still hold data (not given back, not zeroed). */
  dirtyPages = 0;

  #live = new Map<number, number>(); // start -> pages
  #freeLength = new Map<number, number>(); // start -> pages
  #freeStartByEnd = new Map<number, number>(); // start + pages -> start
  #bins: number[][] = Array.from({ length: BIN_COUNT }, () => []);
  #binIndex = new Map<number, number>(); // start -> index in its bin
  #mask = [0, 0]; // bit b set when bin b is non-empty
  #dirty = new Uint8Array(1024);

  constructor(limit: number) {
    this.limit = limit;
  }

  /** The page count of the live run starting at `start`, or undefined. */
  liveRun(start: number): number | undefined {
    return this.#live.get(start);
  }

  /** Number of live runs. */
  get liveRuns(): number {
    return this.#live.size;
  }

  /** Number of free runs below `top`. */
  get freeRuns(): number {
    return this.#freeLength.size;
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
          if (this.#freeLength.get(runs[i])! >= pages) {
            start = runs[i];
            break;
          }
        }
        if (start === -1) continue;
      }
      const length = this.#freeLength.get(start)!;
      this.#unbin(start);
      if (length > pages) this.#bin(start + pages, length - pages);
      this.#live.set(start, pages);
      this.livePages += pages;
      return start;
    }
    if (this.top + pages > this.limit) return -1;
    const start = this.top;
    this.#raiseTop(start + pages);
    this.#live.set(start, pages);
    this.livePages += pages;
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
      const length = this.#freeLength.get(end);
      if (length === undefined || length < extra) return false;
      this.#unbin(end);
      if (length > extra) this.#bin(end + extra, length - extra);
    }
    this.#live.set(start, newPages);
    this.livePages += extra;
    return true;
  }

  /** Shrinks the live run at `start` to `newPages`, freeing its tail. */
  shrink(start: number, pages: number, newPages: number): void {
    this.#live.set(start, newPages);
    this.livePages -= pages - newPages;
    this.#release(start + newPages, pages - newPages);
  }

  /** Frees the live run at `start` of `pages` pages. */
  give(start: number, pages: number): void {
    this.#live.delete(start);
    this.livePages -= pages;
    this.#release(start, pages);
  }

  #release(start: number, pages: number): void {
    let length = pages;
    const before = this.#freeStartByEnd.get(start);
    if (before !== undefined) {
      length += this.#freeLength.get(before)!;
      this.#unbin(before);
      start = before;
    }
    const after = this.#freeLength.get(start + length);
    if (after !== undefined) {
      this.#unbin(start + length);
      length += after;
    }
    if (start + length === this.top) this.top = start;
    else this.#bin(start, length);
  }

  /** Marks `pages` free pages at `start` as dirty (retained, not zero). */
  markDirty(start: number, pages: number): void {
    this.#dirty.fill(1, start, start + pages);
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
    const dirty = this.#dirty.subarray(from, from + pages);
    let i = dirty.indexOf(1);
    while (i !== -1) {
      let j = dirty.indexOf(0, i);
      if (j === -1) j = dirty.length;
      clean(from + i, j - i);
      dirty.fill(0, i, j);
      this.dirtyPages -= j - i;
      i = j < dirty.length ? dirty.indexOf(1, j) : -1;
    }
  }

  /** What a page that is not the start of a live run is: for error messages. */
  describe(page: number): "free" | "interior" | "outside" {
    if (page <= 0 || page >= this.limit) return "outside";
    for (const [start, pages] of this.#live) {
      if (page > start && page < start + pages) return "interior";
    }
    return "free";
  }

  /** Every free run below `top` as [start, pages], sorted: for tests. */
  freeList(): [number, number][] {
    return [...this.#freeLength].sort((a, b) => a[0] - b[0]);
  }

  #raiseTop(top: number): void {
    this.top = top;
    if (top > this.highWater) {
      this.highWater = top;
      if (top > this.#dirty.length) {
        const grown = new Uint8Array(
          Math.min(this.limit, Math.max(top, this.#dirty.length * 2)),
        );
        grown.set(this.#dirty);
        this.#dirty = grown;
      }
    }
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
    this.#freeLength.set(start, pages);
    this.#freeStartByEnd.set(start + pages, start);
    const bin = binOf(pages);
    const runs = this.#bins[bin];
    this.#binIndex.set(start, runs.length);
    runs.push(start);
    this.#mask[bin >> 5] |= 1 << (bin & 31);
  }

  #unbin(start: number): void {
    const pages = this.#freeLength.get(start)!;
    this.#freeLength.delete(start);
    this.#freeStartByEnd.delete(start + pages);
    const bin = binOf(pages);
    const runs = this.#bins[bin];
    const index = this.#binIndex.get(start)!;
    const last = runs.pop()!;
    if (last !== start) {
      runs[index] = last;
      this.#binIndex.set(last, index);
    }
    this.#binIndex.delete(start);
    if (runs.length === 0) this.#mask[bin >> 5] &= ~(1 << (bin & 31));
  }
}
