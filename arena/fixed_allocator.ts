/**
 * {@linkcode FixedAllocator}: bump allocation inside a caller-given region.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import type { Memory } from "../os/memory.ts";
import {
  checkOptions,
  checkPointer,
  checkSize,
  hex,
} from "../internal/checks.ts";
import { DestroyedError, OutOfMemoryError } from "../os/errors.ts";
import {
  addressBias,
  checkAlignment,
  checkLast,
  checkRequestAlignment,
  isTop,
  keepsAlignment,
  notInside,
  notLive,
} from "./_align.ts";
import { TopStack } from "./_top_stack.ts";
import { copyBytes, zeroBytes } from "../internal/bytes.ts";
import { DEFAULT_ALIGNMENT } from "./arena_types.ts";
import { whenRevoked } from "../internal/revoke.ts";

/**
 * Options for {@linkcode FixedAllocator}.
 *
 * @example A fixed allocator in one page
 * ```ts
 * import { FixedAllocator, type FixedAllocatorOptions } from "@sp/mem/arena";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * 4096 });
 * const options: FixedAllocatorOptions = {
 *   memory: pages.memory,
 *   ptr: pages.alloc(4096),
 *   length: 4096,
 *   alignment: 8,
 * };
 * const fixed = new FixedAllocator(options);
 * assert.equal(fixed.alloc(8), options.ptr);
 * ```
 */
export interface FixedAllocatorOptions {
  /** The memory that the region is in. */
  memory: Memory;
  /** The region's first byte (not null). */
  ptr: number;
  /** The region's size in bytes. */
  length: number;
  /**
   * The alignment of every allocation's real address: a power of two from 1
   * (packed) to 2^30; default 16.
   */
  alignment?: number;
}

/**
 * A bump allocator inside one region that you give it — part of a page, a
 * struct's buffer, a stack-like scratch area — that never grows: like an
 * {@linkcode Arena} with one block and no header. When the region is full,
 * `alloc` throws an {@linkcode OutOfMemoryError} and nothing changes.
 *
 * ```
 *  ptr                                                          ptr+length
 *  ├─pad─┬─ alloc ─┬pad┬─ alloc ─┬───────────── free ──────────────────┤
 *  │     │         │   │         ▲ bump                                │
 * ```
 *
 * The region's old contents do not matter: every allocation is zeroed as it
 * is handed out. `free` and in-place `resize` apply to the top (last)
 * allocation only; {@linkcode FixedAllocator.clear} gives everything back.
 * The allocator owns nothing, so there is nothing to destroy.
 *
 * @example A fixed region inside a page
 * ```ts
 * import { FixedAllocator } from "@sp/mem/arena";
 * import { BufferPages, OutOfMemoryError } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * const page = pages.alloc(4096);
 * const fixed = new FixedAllocator({ memory: pages.memory, ptr: page, length: 64 });
 * const a = fixed.alloc(20);
 * const b = fixed.alloc(20);
 * assert.deepEqual([a - page, b - page], [0, 32]);
 * assert.throws(() => fixed.alloc(20), OutOfMemoryError);
 * assert.equal(fixed.bytesUsed, 52);
 * fixed.clear();
 * assert.equal(fixed.alloc(8), a);
 * ```
 */
export class FixedAllocator implements Allocator {
  /** The memory that the region is in. */
  readonly memory: Memory;
  /** The region's first byte. */
  readonly ptr: number;
  /** The region's size in bytes. */
  readonly length: number;
  /** The alignment of every allocation. */
  readonly alignment: number;
  #u8: Uint8Array;
  // Empties #u8 when the memory is revoked, as detaching does: the fast
  // paths test its length.
  #watcher = { revoked: () => this.#u8 = new Uint8Array(0) };
  #limit: number;
  #top: number;
  // Where the newest allocations start, the top one last, each with the bump
  // before its padding (a zero-size one on the bump is not pushed: the one
  // before it stays the top); forgotten at a clear.
  #starts = new TopStack();
  #mask: number;
  #bias: number;

  /**
   * Makes an allocator over `length` bytes at `ptr` of `memory`.
   *
   * @param options The region and the alignment.
   */
  constructor(options: FixedAllocatorOptions) {
    checkOptions(options, "FixedAllocator", "{ memory, ptr, length }", [
      "memory",
      "ptr",
      "length",
      "alignment",
    ]);
    const { memory, ptr, length } = options;
    const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
    if (typeof memory?.check !== "function") {
      throw new TypeError("Memory must be a Memory (such as pages.memory)");
    }
    memory.check(ptr, length);
    checkAlignment(alignment);
    this.memory = memory;
    this.ptr = ptr;
    this.length = length;
    this.alignment = alignment;
    this.#u8 = memory.u8;
    whenRevoked(memory, this.#watcher);
    this.#limit = ptr + length;
    this.#top = ptr;
    this.#mask = alignment - 1;
    this.#bias = addressBias(memory, alignment);
  }

  /** Bytes allocated, alignment padding included. */
  get bytesUsed(): number {
    return this.#top - this.ptr;
  }

  /** The region's size in bytes (the same as {@linkcode FixedAllocator.length}). */
  get capacity(): number {
    return this.length;
  }

  /**
   * Allocates `size` zero-filled bytes at the next aligned address; throws an
   * {@linkcode OutOfMemoryError} if they do not fit.
   *
   * @param size The number of bytes; 0 gives an aligned pointer and no bytes.
   * @param alignment A power of two from 1 to 65536 that the address is a
   * multiple of; omitted, the region's alignment option.
   * @returns The pointer.
   */
  alloc(size: number, alignment?: number): number {
    const ptr = this.allocUnsafe(size, alignment);
    // Zeroed because a region reused after free() or clear() holds what was
    // written there before.
    zeroBytes(this.memory, ptr, ptr + size);
    return ptr;
  }

  /**
   * Allocates like {@linkcode FixedAllocator.alloc} but leaves whatever the
   * region held there: a speed tool for a caller that writes every byte
   * right away.
   *
   * @example
   * ```ts
   * import { FixedAllocator } from "@sp/mem/arena";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages();
   * const ptr = pages.alloc(4096);
   * const fixed = new FixedAllocator({ memory: pages.memory, ptr, length: 4096 });
   * const a = fixed.alloc(16);
   * pages.memory.u8[a] = 7;
   * fixed.free(a, 16);
   * assert.equal(pages.memory.u8[fixed.allocUnsafe(16)], 7); // old bytes
   * ```
   *
   * @param size The number of bytes.
   * @param alignment As for {@linkcode FixedAllocator.alloc}.
   * @returns The pointer.
   */
  allocUnsafe(size: number, alignment?: number): number {
    if (alignment !== undefined) return this.#allocAligned(size, alignment);
    const top = this.#top;
    const ptr = top + (-(top + this.#bias) & this.#mask);
    // typeof first: a bigint or a symbol would throw in the sum.
    const end = typeof size === "number" ? ptr + size : NaN;
    // `>>> 0` is the identity only for integers in [0, 2^32); a destroyed
    // memory (an empty view) goes to the slow path too.
    if (end <= this.#limit && (size >>> 0) === size && this.#u8.length !== 0) {
      // A zero-size allocation on the bump leaves the one before it the top.
      if (end !== top) this.#starts.push(ptr, top);
      this.#top = end;
      return ptr;
    }
    return this.#allocSlow(size, ptr);
  }

  #allocAligned(size: number, alignment: number): number {
    checkRequestAlignment(alignment);
    const top = this.#top;
    const mask = alignment - 1;
    const ptr = top + (-(top + addressBias(this.memory, alignment)) & mask);
    const end = typeof size === "number" ? ptr + size : NaN;
    if (end <= this.#limit && (size >>> 0) === size && this.#u8.length !== 0) {
      // A zero-size allocation on the bump leaves the one before it the top.
      if (end !== top) this.#starts.push(ptr, top);
      this.#top = end;
      return ptr;
    }
    return this.#allocSlow(size, ptr, alignment);
  }

  /**
   * Resizes an allocation: the top allocation changes size in place (an
   * {@linkcode OutOfMemoryError} if it cannot grow that far); any other keeps
   * its pointer when shrinking and moves when growing. Bytes past the old size
   * read as zero.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated (or last resized) with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment The alignment the block must have: it stays where it
   * is only if its address has it, else it moves; omitted, the region's
   * alignment option, which every block has.
   * @returns The (possibly moved) pointer, or 0 if freed.
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    if (alignment !== undefined) checkRequestAlignment(alignment);
    if (ptr === 0) return this.alloc(newSize, alignment);
    this.#checkLive();
    checkSize(oldSize, this.length, "Old size", "the fixed region's length");
    checkSize(newSize, this.length, "New size", "the fixed region's length");
    this.#locate(ptr, oldSize);
    if (newSize === 0) {
      this.free(ptr, oldSize);
      return 0;
    }
    const end = ptr + newSize;
    const stays = keepsAlignment(this.memory, ptr, alignment);
    if (this.#isTop(ptr, oldSize) && stays) {
      if (end > this.#limit) throw this.#full(newSize, ptr);
      if (newSize > oldSize) zeroBytes(this.memory, this.#top, end);
      this.#top = end;
      return ptr;
    }
    if (newSize <= oldSize && stays) {
      this.#starts.shrunk(ptr, oldSize - newSize);
      return ptr;
    }
    const moved = this.alloc(newSize, alignment);
    // A shrink that moves (for the alignment) keeps only newSize bytes.
    copyBytes(this.memory, moved, ptr, Math.min(oldSize, newSize));
    return moved;
  }

  /**
   * Frees the top (newest live) allocation, so that its bytes and the
   * alignment padding before it are reused: frees newest first give every
   * byte back, down to the region's start. Freeing any other allocation
   * in the region does nothing, unless its size reaches a later allocation
   * (a `size-mismatch`). A pointer outside the used part of the region
   * throws a {@linkcode PointerError}.
   *
   * @param ptr The allocation, or 0 to do nothing.
   * @param size The size it was allocated (or last resized) with.
   */
  free(ptr: number, size: number): void {
    if (ptr === 0) return;
    if (this.#isTop(ptr, size)) return this.#freeTop(ptr);
    this.#checkLive();
    checkSize(size, this.length, "Size", "the fixed region's length");
    this.#locate(ptr, size);
  }

  // Back to the bump before the freed one's padding: the end of the one
  // below it (the newest one left) or the region's start.
  #freeTop(ptr: number): void {
    this.#top = ptr - this.#starts.pop();
  }

  /**
   * Gives every allocation back at once: the next one is at the start. Once
   * the memory's page source is destroyed it throws a
   * {@linkcode DestroyedError} and changes nothing.
   */
  clear(): void {
    this.#checkLive();
    this.#top = this.ptr;
    this.#starts.forget();
  }

  // See the Arena's: the top allocation, not an interior pointer to it.
  #isTop(ptr: number, size: number): boolean {
    return this.#u8.length !== 0 &&
      isTop(ptr, size, this.#top, this.ptr, this.#starts.last);
  }

  #allocSlow(size: number, ptr: number, alignment?: number): number {
    this.#checkLive();
    checkSize(size, this.length, "Size", "the fixed region's length");
    throw this.#full(size, ptr, alignment);
  }

  // An alignment asked for (above the region's own) can put `at` past the
  // first free offset: the bytes left are counted from there, and the
  // message says what the alignment cost.
  #full(size: number, at: number, alignment?: number): OutOfMemoryError {
    const top = this.#top, first = top + (-(top + this.#bias) & this.#mask);
    const past = alignment === undefined ? 0 : at - first;
    const left = Math.max(0, this.#limit - (past > 0 ? first : at));
    const aligned = past > 0
      ? ` (aligned to ${alignment}, ${past} bytes past the first free one)`
      : "";
    return new OutOfMemoryError(
      `Fixed region is full: ${size} bytes do not fit at offset ${
        at - this.ptr
      }${aligned}, where ${left} of its ${this.length} bytes are left; use a larger region, or free or clear() first`,
      size,
    );
  }

  // Throws a PointerError unless [ptr, ptr + size) is in the used part. A
  // size-0 allocation owns no bytes and may be left past the bump by a free of
  // the allocation before it, so it need only be in the region.
  #locate(ptr: number, size: number): void {
    checkPointer(ptr);
    checkLast(ptr, size, this.#starts, this.#top);
    if (ptr >= this.ptr && ptr + size <= this.#top) return;
    if (size === 0 && ptr >= this.ptr && ptr <= this.#limit) return;
    if (ptr >= this.ptr && ptr < this.#limit) {
      throw notLive(ptr, size, "this fixed region", "freed or cleared");
    }
    throw notInside(
      ptr,
      `outside this fixed region (${hex(this.ptr)}+${this.length})`,
    );
  }

  #checkLive(): void {
    if (this.memory.destroyed) {
      throw new DestroyedError(
        "Fixed region's memory was used after its page source was destroyed: make a new page source",
      );
    }
  }
}
