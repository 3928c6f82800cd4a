/**
 * {@linkcode PageSource}: the run API that the four page sources (OsPages,
 * BufferPages, WasmPages, SharedPages) have in common. How freed pages are
 * kept and given back is `_decay.ts`'s; why a pointer names no run,
 * `_run_errors.ts`'s.
 *
 * @module
 */
import type { Allocator } from "./allocator.ts";
import { zeroBytes } from "../internal/bytes.ts";
import {
  checkPointer,
  checkRequestAlignment,
  checkSize,
  MAX_REQUEST_ALIGNMENT,
} from "../internal/checks.ts";
import { DestroyedError, type OutOfMemoryError } from "./errors.ts";
import type { Memory } from "./memory.ts";
import { PageRuns } from "./_page_runs.ts";
import { Decay } from "./_decay.ts";
import { noRoom, notARun, wrongRunSize } from "./_run_errors.ts";
import { PAGE_SIZE, pagesFor } from "../internal/pages.ts";
import { checkKeepOptions } from "../internal/options.ts";
import {
  detachBuffer,
  movedOut,
  noteDetached,
  revokeMemory,
} from "../internal/revoke.ts";
import { ENDS_HERE, noteEnd } from "../internal/parent_chain.ts";

import type { PageSourceOptions } from "./page_source_options.ts";

export { MAX_RESERVE, PAGE_SIZE } from "../internal/pages.ts";
export { DEFAULT_DECAY_MS } from "./_decay.ts";
export type { PageSourceOptions } from "./page_source_options.ts";

/**
 * A source of page-aligned, zero-filled runs of whole 4 KiB pages, carved out
 * of one reserved range ({@linkcode PageSource.memory}). It is an
 * {@linkcode Allocator} whose sizes are rounded up to whole pages (size 0 takes
 * one page).
 *
 * Freed runs merge with free neighbours at once, so long alloc/free sequences
 * do not fragment the range; a run is found by size in constant time. Freed
 * pages read as zero when handed out again.
 *
 * Subclasses say how pages are given back ({@linkcode PageSource.release})
 * and how the range is unmapped ({@linkcode PageSource.unmap}).
 *
 * @example Runs of pages
 * ```ts
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 64 * 4096 });
 * const a = pages.alloc(5000); // two pages
 * assert.equal(a % 4096, 0);
 * assert.equal(pages.liveBytes, 8192);
 * pages.free(a, 5000);
 * assert.equal(pages.liveBytes, 0);
 * ```
 */
export abstract class PageSource implements Allocator, Disposable {
  /** The memory all runs live in. */
  readonly memory: Memory;
  /** Which kind of page source this is. */
  abstract readonly kind: "os" | "buffer" | "wasm" | "shared";
  #runs: PageRuns;
  #decay: Decay;
  #limitBytes: number;
  // The real address of page 0, in pages, modulo the largest alignment (16
  // pages): what a page number adds to be aligned in real address. 0 for
  // memory with no native address; mmap gives whole pages, not 64 KiB.
  #biasPages: number;
  #dirtyBytes = 0;
  #destroyed = false;

  /**
   * Sets up the bookkeeping for `memory`.
   *
   * @param memory The whole reserved range.
   * @param options How freed pages are kept (`reserve` is the subclass's).
   * @param range The bytes that may be handed out, `[first, end)`, both
   * multiples of 4096; default the whole memory but page 0 (null). A source
   * can leave memory on either side to others (WasmPages leaves a module's).
   * With `runs`, the run bookkeeping is the shared one in it, made by another
   * worker (SharedPages).
   */
  constructor(
    memory: Memory,
    options: PageSourceOptions = {},
    range: { first: number; end: number; runs?: SharedArrayBuffer } = {
      first: PAGE_SIZE,
      end: memory.byteLength,
    },
  ) {
    checkKeepOptions(options);
    this.memory = memory;
    this.#runs = new PageRuns(
      Math.floor(range.end / PAGE_SIZE),
      range.first / PAGE_SIZE,
      range.runs,
    );
    this.#limitBytes = this.#runs.limit * PAGE_SIZE;
    const wrap = BigInt(MAX_REQUEST_ALIGNMENT / PAGE_SIZE);
    this.#biasPages = memory.address === null
      ? 0
      : Number((memory.address / BigInt(PAGE_SIZE)) % wrap);
    this.#decay = new Decay(this.#runs, options, {
      release: (ptr, length) => this.release(ptr, length),
      expire: () => this.decay(),
    });
  }

  /** How long freed pages stay ready for reuse, in milliseconds. */
  get decayMs(): number {
    return this.#decay.decayMs;
  }

  /** The most bytes of freed pages kept for reuse. */
  get retain(): number {
    return this.#decay.retain;
  }

  /**
   * Gives `length` bytes of freed pages at `ptr` back, so that they read as
   * zero afterwards. Only native memory can be given back (OsPages overrides
   * this); JavaScript memory is zeroed.
   *
   * @param ptr The first page.
   * @param length Whole pages, in bytes.
   */
  protected release(ptr: number, length: number): void {
    this.memory.u8.fill(0, ptr, ptr + length);
  }

  /**
   * Called after {@linkcode PageSource.purge} has given every freed page
   * back: OsPages asks libc for the free memory of its own heap too.
   */
  protected afterPurge(): void {}

  /**
   * Frees the whole range; the memory is already detached.
   *
   * @param moved Whether its buffer had been detached by someone else (its
   * bytes transferred to another buffer, which may still use them).
   */
  protected abstract unmap(moved: boolean): void;

  /** Bytes of address space reserved (the size of {@linkcode PageSource.memory}). */
  get reservedBytes(): number {
    return this.#limitBytes;
  }

  /** Bytes in live runs (0 after {@linkcode PageSource.destroy}, as every count of what is held). */
  get liveBytes(): number {
    if (this.#destroyed) return 0;
    return this.#runs.livePages * PAGE_SIZE;
  }

  /** Bytes of freed pages kept for reuse (resident) rather than given back. */
  get retainedBytes(): number {
    if (this.#destroyed) return 0;
    return this.#runs.dirtyPages * PAGE_SIZE;
  }

  /**
   * Bytes that may hold physical memory: live runs plus retained pages.
   */
  get committedBytes(): number {
    if (this.#destroyed) return 0;
    const runs = this.#runs;
    // JavaScript memory stays committed once touched: every page handed out.
    if (!this.memory.native) return (runs.highWater - runs.first) * PAGE_SIZE;
    return (runs.livePages + runs.dirtyPages) * PAGE_SIZE;
  }

  /**
   * Bytes handed out once and given back to the system since (by decay,
   * `purge()` or a retention limit): touched, but no longer committed.
   */
  get purgedBytes(): number {
    const runs = this.#runs;
    if (!this.memory.native) return 0; // zeroed pages stay committed
    return (runs.highWater - runs.first - runs.livePages - runs.dirtyPages) *
      PAGE_SIZE;
  }

  /** Bytes of the range ever handed out (its high-water mark, page 0 included). */
  get touchedBytes(): number {
    return this.#runs.highWater * PAGE_SIZE;
  }

  /**
   * Bytes of this page source's own bookkeeping: the run tables, sized to
   * the pages in use (they shrink when pages at the top of the range are
   * given back, and are dropped by {@linkcode PageSource.destroy}), or for
   * {@linkcode SharedPages} the shared tables, made once at full size.
   *
   * @example The tables follow the range in use
   * ```ts
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 25 });
   * const small = pages.tableBytes;
   * pages.free(pages.alloc(2 ** 24), 2 ** 24); // 16 MiB: the tables grow
   * assert.ok(pages.tableBytes > small);
   * pages.purge(); // its pages go back to the top: the tables shrink
   * assert.equal(pages.tableBytes, small);
   * ```
   */
  get tableBytes(): number {
    if (this.#destroyed) return 0;
    return this.#runs.tableBytes;
  }

  /** Number of live runs. */
  get liveRuns(): number {
    if (this.#destroyed) return 0;
    return this.#runs.liveRuns;
  }

  /** Number of free runs between live ones (a fragmentation measure). */
  get freeRuns(): number {
    if (this.#destroyed) return 0;
    return this.#runs.freeRuns;
  }

  /**
   * Whether `destroyed` changes only by this instance's own `destroy()`
   * (counted for the allocators on it): not for shared pages, which another
   * worker may destroy.
   */
  get [ENDS_HERE](): boolean {
    return this.kind !== "shared";
  }

  /** Whether {@linkcode PageSource.destroy} has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Allocates a run of `ceil(size / 4096)` zero-filled pages (at least one).
   *
   * Zeroed because a reused run holds whatever this process wrote there
   * before (another allocation's data); {@linkcode PageSource.allocUnsafe}
   * skips that for a caller that overwrites every byte at once.
   *
   * @example A run aligned above the page size
   * ```ts
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const p = pages.alloc(5000, 65536); // two pages at a multiple of 64 KiB
   * assert.equal(p, 65536);
   * assert.equal(pages.liveBytes, 8192); // the pages skipped stay free
   * assert.equal(pages.alloc(4096), 4096); // the first of them
   * ```
   *
   * @param size Bytes wanted.
   * @param alignment A power of two from 1 to 65536 that the run's real
   * address (the native one, for OS memory) is a multiple of. Every run is
   * page-aligned; a larger alignment is carved out of a free run (or the
   * top) holding an aligned stretch of the size, whose head and tail stay
   * free.
   * @returns The run's first byte, a multiple of 4096.
   */
  alloc(size: number, alignment?: number): number {
    const ptr = this.allocDirty(size, alignment);
    const dirty = this.#dirtyBytes;
    if (dirty !== 0) zeroBytes(this.memory, ptr, ptr + dirty);
    return ptr;
  }

  /**
   * Allocates a run like {@linkcode PageSource.alloc}, but leaves the freed
   * pages it reuses as they are: afterwards {@linkcode PageSource.dirtyBytes}
   * says how many bytes at the run's start may hold old data (the rest read
   * as zero). For an allocator built on a page source that zeroes only the
   * bytes it hands out.
   *
   * @example
   * ```ts
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const a = pages.alloc(8192);
   * pages.memory.fill(a, 8192, 7);
   * pages.free(a, 8192);
   * const b = pages.allocDirty(8192); // a's pages again, not zeroed
   * assert.equal(b, a);
   * assert.equal(pages.dirtyBytes, 8192);
   * pages.memory.zero(b, 100); // the caller zeroes what it needs
   * ```
   *
   * It is also how an allocator on a page source asks for an aligned run:
   * `allocDirty(size, alignment)` with any alignment up to 65536, as for
   * {@linkcode PageSource.alloc}.
   *
   * @param size Bytes wanted.
   * @param alignment A power of two from 1 to 65536, as for
   * {@linkcode PageSource.alloc}.
   * @returns The run's first byte, a multiple of 4096 (and of `alignment`,
   * in real address).
   */
  allocDirty(size: number, alignment?: number): number {
    this.#checkLive();
    if (alignment !== undefined) checkRequestAlignment(alignment);
    this.#checkSize(size);
    const pages = pagesFor(size);
    this.#decay.count();
    const start = alignment === undefined || alignment <= PAGE_SIZE
      ? this.#runs.take(pages)
      : this.#takeAligned(pages, alignment);
    if (start === -1) throw this.#outOfMemory(size, alignment);
    this.#dirtyBytes = this.#runs.takenDirty * PAGE_SIZE;
    return start * PAGE_SIZE;
  }

  /**
   * Allocates a run whose first `size` bytes may keep old data (Node's name
   * for {@linkcode PageSource.allocDirty}, but the rest of its last page
   * reads as zero, as after `alloc`): a speed tool for a caller that writes
   * every byte right away. {@linkcode PageSource.dirtyBytes} says how many
   * bytes at its start may hold old data.
   *
   * @example
   * ```ts
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const a = pages.alloc(4096);
   * pages.memory.fill(a, 4096, 7);
   * pages.free(a, 4096);
   * const b = pages.allocUnsafe(4096, 4096);
   * assert.equal(b, a);
   * assert.equal(pages.memory.u8[b], 7); // old bytes: write before reading
   * ```
   *
   * @param size Bytes wanted.
   * @param alignment A power of two from 1 to 65536, as for
   * {@linkcode PageSource.alloc}.
   * @returns The run's first byte, a multiple of 4096.
   */
  allocUnsafe(size: number, alignment?: number): number {
    const ptr = this.allocDirty(size, alignment);
    // Only the bytes asked for keep old data: past the size a run reads as
    // zero, which a resize that grows it in place relies on.
    const dirty = this.#dirtyBytes;
    if (dirty > size) {
      zeroBytes(this.memory, ptr + size, ptr + dirty);
      this.#dirtyBytes = size;
    }
    return ptr;
  }

  /**
   * After {@linkcode PageSource.allocDirty}: how many bytes at the start of
   * the run it returned may hold old data.
   */
  get dirtyBytes(): number {
    return this.#dirtyBytes;
  }

  /**
   * Resizes a run: in place when the page count is unchanged, when shrinking,
   * or when the pages after it are free; otherwise moves it. Bytes past the
   * new size are zeroed.
   *
   * @param ptr The run, or 0 to allocate.
   * @param oldSize The size it was allocated with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment A power of two from 1 to 65536, as for
   * {@linkcode PageSource.alloc}: a run that moves keeps it (every run keeps
   * one up to 4096; a run not aligned to it moves).
   * @returns The run's (possibly new) first byte, or 0 if freed.
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    if (ptr === 0) return this.alloc(newSize, alignment);
    this.#checkLive();
    if (alignment !== undefined) checkRequestAlignment(alignment);
    this.#checkSize(newSize, "New size");
    this.#checkSize(oldSize, "Old size");
    const start = this.#liveStart(ptr, oldSize);
    const runs = this.#runs;
    const pages = runs.liveRun(start)!;
    if (newSize === 0) {
      this.#decay.give(start, pages);
      return 0;
    }
    const newPages = pagesFor(newSize);
    const stays = alignment === undefined || alignment <= PAGE_SIZE ||
      this.#aligned(start, alignment);
    if (!stays) return this.#move(start, pages, oldSize, newSize, alignment!);
    // Past the bytes kept, the run's pages are zeroed up to their end: a run
    // from allocDirty may hold old data past its size (at most a page).
    const kept = Math.min(oldSize, newSize);
    if (newPages <= pages) {
      zeroBytes(this.memory, ptr + kept, ptr + newPages * PAGE_SIZE);
      if (newPages < pages) this.#shrink(start, pages, newPages);
      return ptr;
    }
    if (this.#growInPlace(start, pages, newPages)) {
      zeroBytes(this.memory, ptr + kept, ptr + pages * PAGE_SIZE);
      return ptr;
    }
    return this.#move(start, pages, oldSize, newSize, alignment);
  }

  // Moves the live run at `start` to a new run of `newSize` bytes (aligned
  // to `alignment`, if given), keeping its first bytes.
  #move(
    start: number,
    pages: number,
    oldSize: number,
    newSize: number,
    alignment: number | undefined,
  ): number {
    const runs = this.#runs;
    const newPages = pagesFor(newSize);
    const moved = alignment === undefined || alignment <= PAGE_SIZE
      ? runs.take(newPages)
      : this.#takeAligned(newPages, alignment);
    if (moved === -1) throw this.#outOfMemory(newSize, alignment);
    // Only the dirty bytes that the copy does not overwrite need zeroing.
    const ptr = start * PAGE_SIZE, to = moved * PAGE_SIZE;
    const kept = Math.min(oldSize, newSize);
    const dirtyEnd = to + runs.takenDirty * PAGE_SIZE;
    if (dirtyEnd > to + kept) zeroBytes(this.memory, to + kept, dirtyEnd);
    this.memory.u8.copyWithin(to, ptr, ptr + kept);
    this.#decay.give(start, pages);
    return to;
  }

  // Takes `pages` pages whose real address is a multiple of `alignment`
  // (above the page size), or returns -1.
  #takeAligned(pages: number, alignment: number): number {
    const align = alignment / PAGE_SIZE;
    const bias = this.#biasPages & (align - 1);
    return this.#runs.takeAligned(pages, align, bias, this.#decay.stamp());
  }

  // Whether the run at page `start` has a real address that is a multiple of
  // `alignment`.
  #aligned(start: number, alignment: number): boolean {
    const align = alignment / PAGE_SIZE;
    return ((start + this.#biasPages) & (align - 1)) === 0;
  }

  // Gives the tail of a live run back: kept for reuse, or released at once
  // when nothing is kept.
  #shrink(start: number, pages: number, newPages: number): void {
    const decay = this.#decay;
    if (decay.keepNone) {
      this.release(
        (start + newPages) * PAGE_SIZE,
        (pages - newPages) * PAGE_SIZE,
      );
      this.#runs.shrinkClean(start, pages, newPages);
      return;
    }
    this.#runs.shrink(start, pages, newPages, decay.stamp());
    decay.retained();
  }

  /**
   * Grows a run to hold `newSize` bytes without moving it, if the pages after
   * it are free (the new pages read as zero); returns whether it did. A run
   * that holds `newSize` already is left as it is. For an allocator that
   * would rather move a block itself than have the whole run copied.
   *
   * @example
   * ```ts
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const a = pages.alloc(4096);
   * const b = pages.alloc(4096);
   * assert.equal(pages.extend(b, 4096, 3 * 4096), true); // the top is free
   * assert.equal(pages.extend(a, 4096, 2 * 4096), false); // b is in the way
   * assert.equal(pages.runSize(b), 3 * 4096);
   * ```
   *
   * @param ptr The run's first byte.
   * @param oldSize The size it was allocated (or resized) with.
   * @param newSize The size wanted.
   * @returns Whether the run now holds `newSize` bytes.
   */
  extend(ptr: number, oldSize: number, newSize: number): boolean {
    this.#checkLive();
    this.#checkSize(newSize, "New size");
    this.#checkSize(oldSize, "Old size");
    const start = this.#liveStart(ptr, oldSize);
    const pages = this.#runs.liveRun(start)!;
    const newPages = pagesFor(newSize);
    return newPages <= pages || this.#growInPlace(start, pages, newPages);
  }

  // Grows the live run at `start` to `newPages` in place if it can, zeroing
  // the new pages that held old data (the dirty free runs it takes; the
  // clean ones read as zero and are left untouched).
  #growInPlace(start: number, pages: number, newPages: number): boolean {
    return this.#runs.growInPlace(start, pages, newPages, this.#zeroPages);
  }

  // Zeroes the `pages` pages from `page` (dirty pages growInPlace takes).
  #zeroPages = (page: number, pages: number): void => {
    zeroBytes(this.memory, page * PAGE_SIZE, (page + pages) * PAGE_SIZE);
  };

  /**
   * Frees a run. `size` must be what it was allocated (or resized) with, up to
   * page rounding.
   *
   * @param ptr The run's first byte, or 0 to do nothing.
   * @param size The size it was allocated with.
   */
  free(ptr: number, size: number): void {
    if (ptr === 0) return;
    this.#checkLive();
    this.#checkSize(size);
    const start = this.#liveStart(ptr, size);
    this.#decay.give(start, this.#runs.liveRun(start)!);
  }

  /**
   * Frees a run and gives its pages back to the system at once, as
   * {@linkcode PageSource.purge} would: for memory known to stay unused.
   *
   * @param ptr The run's first byte, or 0 to do nothing.
   * @param size The size it was allocated with.
   */
  discard(ptr: number, size: number): void {
    if (ptr === 0) return;
    this.#checkLive();
    this.#checkSize(size);
    const start = this.#liveStart(ptr, size);
    const pages = this.#runs.liveRun(start)!;
    this.release(ptr, pages * PAGE_SIZE);
    this.#runs.giveClean(start, pages);
  }

  /**
   * The size in bytes (whole pages) of the live run at `ptr`; throws a
   * {@linkcode PointerError} if `ptr` is not the start of one.
   *
   * @param ptr The run's first byte.
   * @returns Its size in bytes.
   */
  runSize(ptr: number): number {
    this.#checkLive();
    const start = this.#liveStart(ptr, -1);
    return this.#runs.liveRun(start)! * PAGE_SIZE;
  }

  /**
   * Gives back every freed page kept for reuse, however recently it was
   * freed. The pages read as zero afterwards and are reused like any.
   * OsPages then asks libc to give back the free memory of its own heap as
   * well (`malloc_trim`, glibc), where old copies of the tables were.
   */
  purge(): void {
    this.#checkLive();
    this.#decay.purge();
    this.afterPurge();
  }

  /**
   * Gives back the freed pages that have been idle longer than
   * {@linkcode PageSource.decayMs}, by the clock read now. Allocation and
   * free calls do this a little at a time, and a timer (which does not keep
   * the process alive) does it when the program goes idle; call it to do it
   * all at once.
   *
   * @returns The bytes given back.
   */
  decay(): number {
    this.#checkLive();
    return this.#decay.decay();
  }

  /**
   * Unmaps the whole range. Every view of the memory, including views made
   * earlier, reads as empty afterwards; every call throws a
   * {@linkcode DestroyedError}, and the counts of what it holds (live,
   * retained, committed and table bytes, live and free runs) read 0.
   * Calling it again does nothing.
   */
  destroy(): void {
    if (this.#destroyed) return;
    // Detach every view first, so nothing can touch the range once unmapped;
    // only then is the source marked destroyed (if detaching threw, it is
    // still whole and usable). A buffer moved out by someone else is
    // detached already, and its bytes live on in the buffer it moved to.
    const moved = movedOut(this.memory);
    if (moved) noteDetached(this.memory);
    else this.detach();
    revokeMemory(this.memory);
    this.#destroyed = true;
    noteEnd();
    this.#decay.stop();
    this.#runs.drop();
    this.unmap(moved);
  }

  /**
   * Detaches every view of the memory, on destroy; a source whose memory
   * belongs to someone else (WasmPages) leaves it.
   */
  protected detach(): void {
    detachBuffer(this.memory.buffer);
  }

  /** Same as {@linkcode PageSource.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // Throws unless `size` is an integer from 0 to the reservation's size.
  #checkSize(size: number, what = "Size"): void {
    if (Number.isInteger(size) && size >= 0 && size <= this.#limitBytes) return;
    checkSize(size, this.#limitBytes, what, "the page source's reservation");
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError(
        "Page source was used after destroy(): make a new one",
      );
    }
    // Its buffer detached under it: a WebAssembly memory that the module
    // grew after WasmPages was made, or a buffer transferred away.
    if (this.memory.u8.length === 0) {
      noteDetached(this.memory);
      throw new DestroyedError(
        this.kind === "wasm"
          ? "Page source's memory was detached (a WebAssembly memory grown after WasmPages was made on it, even by grow(0)): make a new page source, and let only it grow the memory"
          : "Page source's memory was detached: its buffer was transferred (by a BYOB stream read into its bytes, buffer.transfer() or a postMessage transfer list), which moves all of it out of the page source: destroy() it and make a new one, and read into a copy of the bytes instead",
      );
    }
  }

  // The start page of the live run at `ptr` whose size is `size` (or any size
  // if `size` is -1); throws a PointerError otherwise.
  #liveStart(ptr: number, size: number): number {
    checkPointer(ptr);
    const start = ptr / PAGE_SIZE;
    const pages = this.#runs.liveRun(start);
    if (pages === undefined) throw notARun(this.#runs, ptr);
    if (size !== -1 && pagesFor(size) !== pages) {
      throw wrongRunSize(ptr, size, pages);
    }
    return start;
  }

  #outOfMemory(size: number, alignment = 1): OutOfMemoryError {
    return noRoom(size, alignment, this.reservedBytes, this.liveBytes);
  }
}
