// The heap's large blocks (docs/design.md#large-blocks): requests above 2016
// bytes, and aligned requests no aligned twin serves, each its own run of
// pages from the page source, given back when it is freed (a medium one
// kept by the cache first). Live blocks and kept runs form one doubly linked
// list through the span table's links, so that destroy() and diagnostics can
// find them all, and a kept run goes back into use with no list work.
import { copyBytes, zeroBytes } from "../internal/bytes.ts";
import { OutOfMemoryError } from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import type { PageSource } from "../os/page_source.ts";
import { largeCapacity, SPAN_SIZE } from "./_geometry.ts";
import { CACHE_PAGES, RunCache, USED_DELTA } from "./_run_cache.ts";
import {
  DIRTY_PAGES,
  FREED_LARGE,
  KIND,
  LARGE,
  NEXT,
  ROW,
  type SpanTable,
} from "./_span_table.ts";

/** The largest run the cache keeps, in bytes. */
export const CACHE_MAX = CACHE_PAGES * SPAN_SIZE;

/**
 * The live large blocks of one heap and their totals. A block starts on its
 * run's first byte (page-aligned); what the heap knows of it is in the span
 * table's row of its first page, none of it in the block.
 *
 * ```
 *  block (a run of pages)                         block + capacity
 *  ├── size bytes ──┬─ its own old bytes? ─┬── zero ──┤
 *  ▲ ptr = block                           ▲ DIRTY_PAGES × 4096
 * ```
 *
 * A block made from freed pages is zeroed up to its capacity, so nothing of
 * another allocation shows anywhere in it (`usableSize` is the whole run).
 * A block that shrinks in place keeps its own bytes past the new size
 * (DIRTY_PAGES says how far), and zeroes them if it grows over them again.
 *
 * A freed block of up to 16 pages (a medium block) goes to the
 * {@linkcode RunCache} rather than back to the page source, and a new block
 * of the same page count comes from there: a pair is a push and a pop, and
 * the zeroing of the run.
 */
export class LargeBlocks {
  /**
   * Bytes of every run on the block list: the live blocks' capacities and
   * the kept runs' bytes (a run moving between the two changes nothing).
   */
  held = 0;
  /** Runs on the block list: live blocks and kept runs. */
  listed = 0;
  // The sum of the live blocks' sizes but what the heap's medium fast
  // paths add to the cache's 32-bit USED_DELTA instead (an integer add: a
  // float one in the pair's dependency chain cost ~5 ns per 4 KiB pair in
  // bench/alloc_bench.ts), which setting `bytesUsed` folds in.
  #used = 0;
  /** Freed runs of up to 16 pages, kept for the next block of their size. */
  readonly cache: RunCache = new RunCache();

  /** Live blocks. */
  get count(): number {
    return this.listed - this.cache.runCount;
  }

  /** Sum of their sizes. */
  get bytesUsed(): number {
    return this.#used + this.cache.counts[USED_DELTA];
  }
  set bytesUsed(n: number) {
    this.#used = n;
    this.cache.counts[USED_DELTA] = 0;
  }

  /** Sum of their capacities (run sizes). */
  get capacity(): number {
    return this.held - this.cache.bytes;
  }

  #table: SpanTable;
  #pages: PageSource;
  #head = new Int32Array(1);
  #memory: Memory;
  #grew: () => void;
  #freed: (() => void) | undefined;
  #giveBack: () => number;

  /**
   * @param grew Called whenever `capacity` has grown, so the heap can update
   *   its peak (during a move both runs count, as in an alloc then a free).
   * @param freed Called whenever a block is freed, to the cache or back to
   *   the page source (for the heap's decay timer, which gives the cache
   *   back and cuts the span table to the pages still held; undefined when
   *   the heap does not decay).
   * @param giveBack Gives back to the page source all the heap holds unused
   *   (the cache included) and returns its bytes: called when the page
   *   source has no room, before the one retry.
   */
  constructor(
    table: SpanTable,
    pages: PageSource,
    grew: () => void,
    freed: (() => void) | undefined,
    giveBack: () => number,
  ) {
    this.#table = table;
    this.#pages = pages;
    this.#memory = pages.memory;
    this.#grew = grew;
    this.#freed = freed;
    this.#giveBack = giveBack;
  }

  /** The first page of the block list (a live block or a kept run), or 0. */
  get head(): number {
    return this.#head[0];
  }

  /**
   * Allocates a block for `size` bytes (checked by the caller; at least a
   * page, even for 0); returns the pointer handed out, whose real address is
   * a multiple of `alignment` if given (any run is page-aligned, so the page
   * source only has work to do above 4096). Its bytes read as zero from
   * `zeroFrom` on (a move copies the ones before). If the page source has
   * no room, the heap gives back what it holds unused and the request is
   * tried once more; the page source's errors pass through unchanged.
   */
  alloc(size: number, zeroFrom = 0, alignment?: number): number {
    try {
      return this.#allocOnce(size, zeroFrom, alignment);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError) || this.#giveBack() === 0) throw e;
      return this.#allocOnce(size, zeroFrom, alignment);
    }
  }

  // alloc's one try: a kept run of the same page count (any alignment up
  // to a page holds), else a run from the page source.
  #allocOnce(size: number, zeroFrom: number, alignment?: number): number {
    if (
      size <= CACHE_MAX && (alignment === undefined || alignment <= SPAN_SIZE)
    ) {
      const kept = this.#allocKept(size, zeroFrom);
      if (kept !== 0) return kept;
    }
    const capacity = Math.max(largeCapacity(size), SPAN_SIZE);
    const pages = this.#pages;
    const block = pages.allocDirty(capacity, alignment);
    // Old bytes of freed pages go, past the size too: the capacity is the
    // caller's to use (usableSize), and must not show another's data.
    const dirtyEnd = block + pages.dirtyBytes;
    if (dirtyEnd > block + zeroFrom) {
      zeroBytes(pages.memory, block + zeroFrom, dirtyEnd);
    }
    const page = block / SPAN_SIZE;
    this.#table.ensurePages(page + 1);
    this.#adopt(page, size, capacity);
    this.#grew();
    return block;
  }

  // The run the cache kept last for the page count of `size`, made a live
  // block (it is on the block list already, its capacity in its row),
  // zeroed from `zeroFrom` on; 0 if none. (Heap#allocLarge does the same
  // written out, its fast path.)
  #allocKept(size: number, zeroFrom: number): number {
    const pages = size <= SPAN_SIZE ? 1 : (size + SPAN_SIZE - 1) >>> 12;
    const page = this.cache.pop(pages);
    if (page === 0) return 0;
    // Its last block could write all of it (usableSize is the capacity).
    const block = page * SPAN_SIZE, capacity = pages * SPAN_SIZE;
    if (capacity > zeroFrom) {
      zeroBytes(this.#memory, block + zeroFrom, block + capacity);
    }
    const t = this.#table;
    t.meta[page * ROW + KIND] = LARGE;
    t.meta[page * ROW + DIRTY_PAGES] = 0;
    t.largeSize[page] = size;
    this.bytesUsed += size;
    return block;
  }

  // Makes the run at `page` a live block of `size` bytes: its row and the
  // counts. Returns its pointer.
  #adopt(page: number, size: number, capacity: number): number {
    const t = this.#table;
    const m = t.meta, row = page * ROW;
    m[row + KIND] = LARGE;
    m[row + DIRTY_PAGES] = 0;
    t.largeSize[page] = size;
    t.largeCapacity[page] = capacity;
    t.pushFront(this.#head, 0, page);
    this.listed++;
    this.bytesUsed += size;
    this.held += capacity;
    return page * SPAN_SIZE;
  }

  /**
   * Resizes the live block at `page` to `newSize` (above 2016, or any size
   * for an aligned request). Within its capacity it keeps its pointer
   * (zeroing the old bytes it grows over). Past it, the block grows in place
   * when the pages after it are free, and otherwise moves to a new block
   * (copying only the size's bytes; aligned to `alignment` if given: the
   * caller has checked that the block itself is); either way its capacity
   * becomes `largeCapacity(newSize)`, as for a new block (with no room, the
   * heap gives back what it holds unused first, as alloc does). If it
   * throws, the block is as it was.
   */
  resize(page: number, newSize: number, alignment?: number): number {
    const t = this.#table;
    const size = t.largeSize[page];
    const block = page * SPAN_SIZE;
    const ptr = block;
    const oldCapacity = t.largeCapacity[page];
    const memory = this.#pages.memory;
    const dirtyEnd = block + t.get(page, DIRTY_PAGES) * SPAN_SIZE;
    const end = ptr + size, newEnd = ptr + newSize;
    if (newSize <= oldCapacity) {
      if (newSize > size) zeroBytes(memory, end, Math.min(newEnd, dirtyEnd));
      else if (end > dirtyEnd) {
        // The bytes given up stay as they are, past the size: dirty now.
        t.set(page, DIRTY_PAGES, Math.ceil((end - block) / SPAN_SIZE));
      }
      t.largeSize[page] = newSize;
      this.bytesUsed += newSize - size;
      return ptr;
    }
    if (this.#growInPlace(page, newSize)) return ptr;
    // Moved: both blocks are live for a moment, as in an alloc then a free.
    // With no room, what the heap holds unused goes back first, and may
    // free the pages after the block (a kept run): then it grows in place.
    let moved: number;
    try {
      moved = this.#allocOnce(newSize, size, alignment);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError) || this.#giveBack() === 0) throw e;
      if (this.#growInPlace(page, newSize)) return ptr;
      moved = this.#allocOnce(newSize, size, alignment);
    }
    copyBytes(memory, moved, ptr, size);
    this.free(page);
    return moved;
  }

  // Grows the live block at `page` to `newSize`, above its capacity, over
  // the pages after it if the page source has them free; false if not.
  #growInPlace(page: number, newSize: number): boolean {
    const t = this.#table;
    const block = page * SPAN_SIZE, oldCapacity = t.largeCapacity[page];
    const capacity = largeCapacity(newSize);
    if (!this.#pages.extend(block, oldCapacity, capacity)) return false;
    // The new pages read as zero; so must the old ones past the size.
    const size = t.largeSize[page];
    const dirtyEnd = block + t.get(page, DIRTY_PAGES) * SPAN_SIZE;
    zeroBytes(this.#memory, block + size, dirtyEnd);
    t.set(page, DIRTY_PAGES, 0);
    t.largeSize[page] = newSize;
    t.largeCapacity[page] = capacity;
    this.bytesUsed += newSize - size;
    this.held += capacity - oldCapacity;
    this.#grew();
    return true;
  }

  /**
   * Frees the live block at `page`: to the cache if it has up to 16 pages
   * and the cache has room, else back to the page source at once.
   */
  free(page: number): void {
    const t = this.#table;
    const capacity = t.largeCapacity[page];
    const kept = capacity <= CACHE_MAX &&
      this.cache.push(page, capacity >>> 12);
    if (!kept) {
      this.#pages.free(page * SPAN_SIZE, capacity);
      t.unlink(this.#head, 0, page);
      this.listed--;
      this.held -= capacity;
      // A drain, not a reuse: what is kept goes back too.
      if (this.cache.draining && this.cache.bytes !== 0) {
        this.releaseCache((p, n) => this.#pages.free(p, n));
      }
    }
    // A kept run stays on the block list (the heap takes it back with no
    // list work), marked freed.
    t.meta[page * ROW + KIND] = FREED_LARGE;
    this.bytesUsed -= t.largeSize[page];
    if (this.#freed !== undefined) this.#freed();
  }

  /**
   * Gives every run the cache keeps back through `give` (the page source's
   * `free`); returns their bytes.
   */
  releaseCache(give: (ptr: number, size: number) => void): number {
    const bytes = this.cache.bytes;
    this.cache.forEach((page, pages) => {
      this.#table.unlink(this.#head, 0, page);
      this.listed--;
      this.held -= pages * SPAN_SIZE;
      give(page * SPAN_SIZE, pages * SPAN_SIZE);
    });
    this.cache.clear();
    return bytes;
  }

  /** The page after the last page of any live block or kept run (0: none). */
  endPage(): number {
    const t = this.#table;
    let end = 0;
    for (let b = this.#head[0]; b !== 0; b = t.get(b, NEXT)) {
      end = Math.max(end, b + t.largeCapacity[b] / SPAN_SIZE);
    }
    return end;
  }

  /** The first page of the live block holding `page`, or 0. */
  containing(page: number): number {
    const t = this.#table;
    for (let b = this.#head[0]; b !== 0; b = t.get(b, NEXT)) {
      if (
        b <= page && page < b + t.largeCapacity[b] / SPAN_SIZE &&
        t.get(b, KIND) === LARGE
      ) return b;
    }
    return 0;
  }

  /**
   * Gives every block's run and every kept run back to the page source
   * (unless it is destroyed already) and forgets them all (for destroy).
   */
  releaseAll(): void {
    const t = this.#table;
    for (
      let b = this.#head[0];
      b !== 0 && !this.#pages.destroyed;
      b = t.get(b, NEXT)
    ) {
      this.#pages.free(b * SPAN_SIZE, t.largeCapacity[b]);
    }
    this.cache.clear();
    this.#head[0] = 0;
    this.listed = this.held = this.bytesUsed = 0;
  }
}
