/**
 * {@linkcode Allocator}: the one interface every allocator implements.
 *
 * @module
 */
import type { Memory } from "./memory.ts";

/**
 * The contract that every allocator of @sp/mem implements — page sources,
 * heaps, arenas, fixed regions — and that you implement to plug in your own.
 *
 * Pointers are plain numbers (byte offsets into {@linkcode Allocator.memory});
 * 0 is null. The caller passes back the size it asked for on `resize` and
 * `free`, so an allocator need not remember sizes.
 *
 * - `alloc(size)` returns a non-null pointer to `size` zero-filled bytes, or
 *   throws (`RangeError` for an impossible size, `OutOfMemoryError` when full).
 * - `resize(ptr, oldSize, newSize)` returns the (possibly moved) pointer; the
 *   first `min(oldSize, newSize)` bytes are kept and bytes past `oldSize` read
 *   as zero. `ptr` 0 allocates; `newSize` 0 frees and returns 0. If it throws,
 *   the old allocation is untouched.
 * - `free(ptr, size)` gives the memory back; `ptr` 0 does nothing.
 *
 * @example A counting wrapper, in a dozen lines
 * ```ts
 * import { type Allocator, BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * class Counting implements Allocator {
 *   live = 0;
 *   constructor(readonly parent: Allocator) {}
 *   get memory() { return this.parent.memory; }
 *   alloc(size: number) {
 *     const ptr = this.parent.alloc(size);
 *     this.live += size;
 *     return ptr;
 *   }
 *   resize(ptr: number, oldSize: number, newSize: number) {
 *     const moved = this.parent.resize(ptr, oldSize, newSize);
 *     this.live += newSize - (ptr === 0 ? 0 : oldSize);
 *     return moved;
 *   }
 *   free(ptr: number, size: number) {
 *     this.parent.free(ptr, size);
 *     if (ptr !== 0) this.live -= size;
 *   }
 * }
 *
 * using pages = new BufferPages({ reserve: 64 * 4096 });
 * const counting = new Counting(pages);
 * const p = counting.alloc(100);
 * assert.equal(counting.live, 100);
 * counting.free(p, 100);
 * assert.equal(counting.live, 0);
 * ```
 */
export interface Allocator {
  /** The memory that this allocator's pointers address. */
  readonly memory: Memory;

  /**
   * Whether the allocator has been destroyed (every later call throws),
   * where it can be; absent on allocators that cannot be.
   */
  readonly destroyed?: boolean;

  /**
   * Allocates `size` zero-filled bytes.
   *
   * @param size The number of bytes; 0 gives the smallest allocation.
   * @param alignment Where the allocator supports it, a power of two from 1
   * to 65536 that the block's address is a multiple of (a bad one is a
   * RangeError or TypeError naming it, and changes nothing); omitted, the
   * allocator's natural alignment.
   * @returns A non-null pointer.
   */
  alloc(size: number, alignment?: number): number;

  /**
   * Changes the size of an allocation, moving it if needed.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated (or last resized) with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment Where supported, the alignment it was allocated with,
   * kept when it moves; omitted, the natural alignment.
   * @returns The pointer to use from now on (0 if freed).
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number;

  /**
   * Frees an allocation.
   *
   * @param ptr The allocation, or 0 to do nothing.
   * @param size The size it was allocated (or last resized) with.
   */
  free(ptr: number, size: number): void;
}
