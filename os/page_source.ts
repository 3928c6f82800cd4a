/**
 * {@linkcode PageSource}: what {@linkcode OsPages} and {@linkcode BufferPages}
 * have in common.
 *
 * @module
 */
import type { Allocator } from "./allocator.ts";
import { checkPointer, checkSize, hex } from "./_checks.ts";
import { DestroyedError, OutOfMemoryError, PointerError } from "./errors.ts";
import type { Memory } from "./memory.ts";
import { MAX_PAGES, PageRuns } from "./_page_runs.ts";

// Marks dirty pages clean without touching them (they are overwritten).
const noop = (): void => {};

/** The page size of every page source: 4 KiB. */
export const PAGE_SIZE = 4096;

/** The most a page source can reserve: 2^31 − 1 pages (just under 8 TiB). */
export const MAX_RESERVE = MAX_PAGES * PAGE_SIZE;

/** Options shared by the page sources. */
export interface PageSourceOptions {
  /**
   * Bytes of address space to reserve, rounded up to whole pages. Every
   * allocation comes from this one range; when it is used up, `alloc` throws
   * an {@linkcode OutOfMemoryError}.
   */
  reserve?: number;
}

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
  /** Which kind of page source this is: `"os"` or `"buffer"`. */
  abstract readonly kind: "os" | "buffer";
  #runs: PageRuns;
  #retain: number;
  #destroyed = false;

  /**
   * Sets up the bookkeeping for `memory`.
   *
   * @param memory The whole reserved range.
   * @param retainBytes How many bytes of freed pages to keep (not released)
   *   for reuse; they are zeroed when handed out again.
   */
  constructor(memory: Memory, retainBytes: number) {
    this.memory = memory;
    this.#runs = new PageRuns(Math.floor(memory.byteLength / PAGE_SIZE));
    this.#retain = retainBytes;
  }

  /**
   * Gives `length` bytes of freed pages at `ptr` back, so that they read as
   * zero afterwards.
   *
   * @param ptr The first page.
   * @param length Whole pages, in bytes.
   */
  protected abstract release(ptr: number, length: number): void;

  /** Frees the whole range; the memory is already detached. */
  protected abstract unmap(): void;

  /** Bytes of address space reserved (the size of {@linkcode PageSource.memory}). */
  get reservedBytes(): number {
    return this.#runs.limit * PAGE_SIZE;
  }

  /** Bytes in live runs. */
  get liveBytes(): number {
    return this.#runs.livePages * PAGE_SIZE;
  }

  /** Bytes of freed pages kept for reuse rather than released. */
  get retainedBytes(): number {
    return this.#runs.dirtyPages * PAGE_SIZE;
  }

  /**
   * Bytes that may hold physical memory: live runs plus retained pages.
   */
  get committedBytes(): number {
    return (this.#runs.livePages + this.#runs.dirtyPages) * PAGE_SIZE;
  }

  /** Bytes of the range ever handed out (its high-water mark, page 0 included). */
  get touchedBytes(): number {
    return this.#runs.highWater * PAGE_SIZE;
  }

  /** Number of live runs. */
  get liveRuns(): number {
    return this.#runs.liveRuns;
  }

  /** Number of free runs between live ones (a fragmentation measure). */
  get freeRuns(): number {
    return this.#runs.freeRuns;
  }

  /** Whether {@linkcode PageSource.destroy} has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Allocates a run of `ceil(size / 4096)` zero-filled pages (at least one).
   *
   * @param size Bytes wanted.
   * @returns The run's first byte, a multiple of 4096.
   */
  alloc(size: number): number {
    this.#checkLive();
    checkSize(
      size,
      this.reservedBytes,
      "Size",
      "the page source's reservation",
    );
    const pages = Math.max(1, Math.ceil(size / PAGE_SIZE));
    const start = this.#runs.take(pages);
    if (start === -1) throw this.#outOfMemory(size);
    this.#runs.cleanDirty(start, pages, this.#zeroPages);
    return start * PAGE_SIZE;
  }

  /**
   * Resizes a run: in place when the page count is unchanged, when shrinking,
   * or when the pages after it are free; otherwise moves it. Bytes past the
   * new size are zeroed.
   *
   * @param ptr The run, or 0 to allocate.
   * @param oldSize The size it was allocated with.
   * @param newSize The size wanted; 0 frees.
   * @returns The run's (possibly new) first byte, or 0 if freed.
   */
  resize(ptr: number, oldSize: number, newSize: number): number {
    if (ptr === 0) return this.alloc(newSize);
    this.#checkLive();
    checkSize(
      newSize,
      this.reservedBytes,
      "Size",
      "the page source's reservation",
    );
    const start = this.#liveStart(ptr, oldSize);
    const pages = this.#runs.liveRun(start)!;
    if (newSize === 0) {
      this.#give(start, pages);
      return 0;
    }
    const newPages = Math.max(1, Math.ceil(newSize / PAGE_SIZE));
    if (newPages <= pages) {
      // Keep "every byte past the size is zero" true for later growth.
      const tail = Math.min(oldSize, newPages * PAGE_SIZE);
      if (newSize < tail) this.memory.u8.fill(0, ptr + newSize, ptr + tail);
      if (newPages < pages) {
        this.#runs.shrink(start, pages, newPages);
        this.#dispose(start + newPages, pages - newPages);
      }
      return ptr;
    }
    if (this.#runs.growInPlace(start, pages, newPages)) {
      this.#runs.cleanDirty(start + pages, newPages - pages, this.#zeroPages);
      return ptr;
    }
    const moved = this.#runs.take(newPages);
    if (moved === -1) throw this.#outOfMemory(newSize);
    // The pages the copy overwrites whole need no zeroing first.
    const copied = Math.floor(oldSize / PAGE_SIZE);
    this.#runs.cleanDirty(moved, copied, noop);
    this.#runs.cleanDirty(moved + copied, newPages - copied, this.#zeroPages);
    this.memory.u8.copyWithin(moved * PAGE_SIZE, ptr, ptr + oldSize);
    this.#give(start, pages);
    return moved * PAGE_SIZE;
  }

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
    checkSize(
      size,
      this.reservedBytes,
      "Size",
      "the page source's reservation",
    );
    const start = this.#liveStart(ptr, size);
    this.#give(start, this.#runs.liveRun(start)!);
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

  /** Gives every retained page back (see `retain` of {@linkcode OsPages}). */
  trim(): void {
    this.#checkLive();
    this.#runs.cleanDirty(1, this.#runs.highWater - 1, this.#releasePages);
  }

  /**
   * Unmaps the whole range. Every view of the memory, including views made
   * earlier, reads as empty afterwards; every call throws a
   * {@linkcode DestroyedError}. Calling it again does nothing.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    // Detach every view first, so nothing can touch the range once unmapped.
    this.memory.buffer.transfer();
    this.unmap();
  }

  /** Same as {@linkcode PageSource.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  #zeroPages = (start: number, pages: number): void => {
    this.memory.u8.fill(0, start * PAGE_SIZE, (start + pages) * PAGE_SIZE);
  };

  #releasePages = (start: number, pages: number): void => {
    this.release(start * PAGE_SIZE, pages * PAGE_SIZE);
  };

  #give(start: number, pages: number): void {
    this.#runs.give(start, pages);
    this.#dispose(start, pages);
  }

  // Freed pages are kept dirty while the retention budget allows, else released.
  #dispose(start: number, pages: number): void {
    if ((this.#runs.dirtyPages + pages) * PAGE_SIZE <= this.#retain) {
      this.#runs.markDirty(start, pages);
    } else {
      this.#releasePages(start, pages);
    }
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError(
        "Page source was used after destroy(): make a new one",
      );
    }
  }

  // The start page of the live run at `ptr` whose size is `size` (or any size
  // if `size` is -1); throws a PointerError otherwise.
  #liveStart(ptr: number, size: number): number {
    checkPointer(ptr);
    const start = ptr / PAGE_SIZE;
    const pages = this.#runs.liveRun(start);
    if (pages === undefined) {
      if (ptr % PAGE_SIZE !== 0) {
        throw new PointerError(
          `Pointer ${
            hex(ptr)
          } is not page-aligned, so it is not a run of this page source`,
          ptr,
          "unaligned",
        );
      }
      const what = this.#runs.describe(start);
      if (what === "outside") {
        throw new PointerError(
          `Pointer ${hex(ptr)} is outside this page source's range`,
          ptr,
          "out-of-range",
        );
      }
      if (what === "interior") {
        throw new PointerError(
          `Pointer ${hex(ptr)} is inside a live run, not its start`,
          ptr,
          "interior",
        );
      }
      throw new PointerError(
        `Pointer ${hex(ptr)} is free already (double free, or never allocated)`,
        ptr,
        "double-free",
      );
    }
    if (size !== -1 && Math.max(1, Math.ceil(size / PAGE_SIZE)) !== pages) {
      throw new PointerError(
        `Size ${size} does not match the run at ${
          hex(ptr)
        }, which is ${pages} page(s) (${pages * PAGE_SIZE} bytes)`,
        ptr,
        "size-mismatch",
      );
    }
    return start;
  }

  #outOfMemory(size: number): OutOfMemoryError {
    return new OutOfMemoryError(
      `Out of memory: no run of ${
        Math.max(1, Math.ceil(size / PAGE_SIZE))
      } free page(s) for ${size} bytes in a reservation of ${this.reservedBytes} bytes (${this.liveBytes} live); reserve more`,
      size,
    );
  }
}
