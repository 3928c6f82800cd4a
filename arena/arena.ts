/**
 * {@linkcode Arena}: bump allocation in a chain of blocks, freed all at once.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { giveBack } from "../internal/give_back.ts";
import type { Memory } from "../os/memory.ts";
import {
  ARENA_HEADER_SIZE,
  type ArenaBlock,
  type ArenaMark,
  type ArenaOptions,
  DEFAULT_ALIGNMENT,
  DEFAULT_BLOCK_SIZE,
  MAX_BLOCK_GROWTH,
  MIN_BLOCK_SIZE,
} from "./arena_types.ts";
import { arenaRegions } from "./_regions.ts";
import { TopStack } from "./_top_stack.ts";
import type { PageSource } from "../os/page_source.ts";
import { defaultPages } from "../os/default_pages.ts";
import {
  checkNumber,
  checkOptions,
  checkPointer,
  checkSize,
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
import { copyBytes, writeU64, zeroBytes } from "../internal/bytes.ts";
import { noteDetached, whenRevoked } from "../internal/revoke.ts";
import {
  ChainWatch,
  ENDS_HERE,
  goneUnder,
  noteEnd,
} from "../internal/parent_chain.ts";

// Marks are numbered across all arenas, so a mark from another arena is never
// mistaken for one of this arena's.
let nextMark = 1;
// Runs of marks kept in storage above which dropping marks shrinks it.
const MARK_RUNS_KEPT = 64;

/**
 * A bump allocator over a chain of blocks taken from a parent
 * {@linkcode Allocator}: allocation is an alignment round-up and a pointer
 * bump; memory is given back all at once ({@linkcode Arena.clear},
 * {@linkcode Arena.pop}, {@linkcode Arena.destroy}), not one allocation at a
 * time.
 *
 * ```
 *  block ptr                     ptr+32                                  ptr+size
 *  ├──────── header (32 B) ───────┼──────────── data (size − 32) ────────────┤
 *  │ next block │ size │ 0  │ 0   │pad│ alloc │pad│ alloc │ zero …           │
 *  │   u64 LE   │u64 LE│    │     │   │       │   │       ▲ bump             │
 *  └────────────┴──────┴────┴─────┴───┴───────┴───┴───────┴──────────────────┘
 *        │
 *        └──► next block (chained right after the current one; 0 if last)
 * ```
 *
 * - Every allocation is at the next address, after the bump, whose real
 *   address (the native address for OS memory) is a multiple of the alignment;
 *   there is no per-allocation header.
 * - When a request does not fit in the current block, the next existing block
 *   (left over from a `pop` or `clear`) is tried, reset to empty; otherwise a
 *   new block of `max(blockSize, 32 + alignment + size)` is chained right
 *   after the current one, where the block size doubles each time (up to
 *   1 MiB).
 * - Every allocation reads as zero: blocks come zeroed from the parent, and
 *   memory given back (by `free`, `pop`, `clear` or a shrinking `resize`) is
 *   zeroed then, so allocation itself never writes memory.
 * - The chain is kept in JavaScript (for speed) and mirrored in each header
 *   (for a debugger or C code walking it).
 * - `resize` works in place for the top allocation (the last one, made after
 *   the newest mark); otherwise shrinking keeps the pointer and growing moves.
 *   `free` gives back only the top allocation and ignores any other live one.
 *
 * @example Allocate, mark, pop
 * ```ts
 * import { Arena } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena();
 * const a = arena.alloc(100);
 * const mark = arena.mark();
 * const b = arena.alloc(1000);
 * arena.memory.f64[b / 8] = 1.5;
 * assert.equal(arena.bytesUsed, 112 + 1000);
 * arena.pop(mark); // b is gone, a is still there
 * assert.equal(arena.bytesUsed, 100);
 * assert.equal(arena.alloc(8), b); // the same memory, zeroed again
 * assert.equal(arena.memory.f64[b / 8], 0);
 * assert.ok(a > 0);
 * ```
 *
 * @example On a parent allocator, with packed allocations
 * ```ts
 * import { Arena } from "@sp/mem/arena";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * using arena = new Arena({ parent: pages, blockSize: 256, alignment: 1 });
 * const [a, b, c] = [arena.alloc(3), arena.alloc(5), arena.alloc(7)];
 * assert.deepEqual([b - a, c - b], [3, 5]);
 * assert.equal(arena.bytesUsed, 15);
 * assert.equal(arena.capacity, 256);
 * ```
 */
export class Arena implements Allocator, Disposable {
  static {
    arenaRegions.begin = (arena) => arena.#pushMark();
    arenaRegions.end = (arena, mark) => arena.#endRegion(mark);
    arenaRegions.markSlots = (arena) => arena.#markIds.length;
  }

  /** The memory that the parent's (and so this arena's) pointers address. */
  readonly memory: Memory;
  /** The alignment of every allocation. */
  readonly alignment: number;
  /** The size of the first block, as given in the options. */
  readonly blockSize: number;
  #parent: Allocator;
  #owned: PageSource | null;
  #u8: Uint8Array;
  // Empties #u8 when the memory is revoked, as detaching does: the fast
  // paths test its length.
  #watcher = { revoked: () => this.#u8 = new Uint8Array(0) };
  #mask: number;
  #bias: number;
  #growth: number;
  #destroyed = false;
  #chain: ChainWatch;

  // The chain, in order: first byte, size, bump when left (only for blocks
  // before the current one), and bytes used in the blocks before it.
  #ptrs: number[] = [];
  #sizes: number[] = [];
  #tops: number[] = [];
  #before: number[] = [];
  #capacity = 0;

  // The current block: its index, data start and end, the bump, the bytes
  // used before it, and the floor below which nothing is "top" (the newest
  // mark's bump if it is in this block, else the data start).
  #cur = 0;
  #start = 0;
  #end = -Infinity;
  #top = 0;
  // Where the newest allocations start, the top one last, each with the bump
  // before its padding (a zero-size one on the bump is not pushed: the one
  // before it stays the top); forgotten at a mark, a pop or clear and on
  // moving to another block.
  #starts = new TopStack();
  #base = 0;
  #floor = Infinity;

  // Live marks, oldest first, in runs: a run is the marks taken one after
  // another at one position (block index, bump): its first mark's number,
  // then count - 1 more numbered second, second + step, second + 2 step, …,
  // so that a mark taken again and again at one place (mark, alloc, pop in
  // a loop, inside a mark of its own or not) adds nothing. Positions never
  // decrease from bottom to top, as free and resize never go below the
  // newest mark. See docs/design.md#arena-marks.
  // (Plain arrays with a count: setting an array's length is slow.)
  #markIds: number[] = [];
  #markSeconds: number[] = [];
  #markSteps: number[] = [];
  #markCounts: number[] = [];
  #markBlocks: number[] = [];
  #markTops: number[] = [];
  #marks = 0;
  // Where #findMark found the mark in its run.
  #markIndex = 0;

  /**
   * Makes an arena and takes its first block from the parent.
   *
   * @param options The parent, first block size and alignment.
   */
  constructor(options: ArenaOptions = {}) {
    checkOptions(options, "Arena", "{ parent, blockSize }", [
      "parent",
      "blockSize",
      "alignment",
    ]);
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
    checkSize(
      blockSize,
      Number.MAX_SAFE_INTEGER,
      "Block size",
      "the largest size",
    );
    if (blockSize < MIN_BLOCK_SIZE) {
      throw new RangeError(
        `Block size must be at least ${MIN_BLOCK_SIZE} (a ${ARENA_HEADER_SIZE}-byte header and room for data), got ${blockSize}`,
      );
    }
    checkAlignment(alignment);
    let parent = options.parent;
    if (parent !== undefined && typeof parent?.alloc !== "function") {
      throw new TypeError(
        "Parent must be an Allocator (with memory, alloc, resize and free)",
      );
    }
    this.#owned = null;
    if (parent === undefined) parent = this.#owned = defaultPages();
    this.#parent = parent;
    this.#chain = new ChainWatch(parent);
    this.memory = parent.memory;
    this.alignment = alignment;
    this.blockSize = blockSize;
    this.#u8 = this.memory.u8;
    whenRevoked(this.memory, this.#watcher);
    this.#mask = alignment - 1;
    this.#bias = addressBias(this.memory, alignment);
    this.#growth = blockSize;
    let ptr;
    try {
      ptr = parent.alloc(blockSize);
    } catch (e) {
      this.#owned?.destroy();
      throw e;
    }
    this.#insert(0, ptr, blockSize);
    this.#enter(0, ptr + ARENA_HEADER_SIZE);
  }

  /** Bytes allocated, alignment padding included, in the blocks in use. */
  get bytesUsed(): number {
    return this.#destroyed ? 0 : this.#base + (this.#top - this.#start);
  }

  /** Bytes of all blocks (headers included) taken from the parent. */
  get capacity(): number {
    return this.#capacity;
  }

  /** The number of blocks in the chain (in use or kept for reuse). */
  get blockCount(): number {
    return this.#ptrs.length;
  }

  /** The chain's blocks, in order (a copy). */
  get blocks(): ArenaBlock[] {
    return this.#ptrs.map((ptr, i) => ({ ptr, size: this.#sizes[i] }));
  }

  /** The index in {@linkcode Arena.blocks} of the block being bumped. */
  get currentBlock(): number {
    return this.#cur;
  }

  /**
   * Whether the arena can no longer serve: {@linkcode Arena.destroy} has
   * been called, or what is under it is gone (its parent, at any depth,
   * reports `destroyed`, as an ended scratch region does, or its memory was
   * destroyed). Every call that hands out memory then throws a
   * {@linkcode DestroyedError}.
   */
  get destroyed(): boolean {
    return this.#destroyed || !this.#parentLive();
  }

  /** The allocator that the blocks come from. */
  get parent(): Allocator {
    return this.#parent;
  }

  /**
   * Allocates `size` zero-filled bytes at the next aligned address.
   *
   * @param size The number of bytes; 0 gives an aligned pointer and no bytes.
   * @param alignment A power of two from 1 to 65536 that the address is a
   * multiple of; omitted, the arena's {@linkcode Arena.alignment}.
   * @returns The pointer.
   */
  alloc(size: number, alignment?: number): number {
    if (alignment !== undefined) return this.#allocAligned(size, alignment);
    const top = this.#top;
    const ptr = top + (-(top + this.#bias) & this.#mask);
    // `>>> 0` is the identity only for integers in [0, 2^32): one comparison
    // rejects negative, fractional, NaN and huge sizes; typeof the rest (a
    // bigint or a symbol would throw in the sum).
    const end = typeof size === "number" ? ptr + size : NaN;
    if (end <= this.#end && (size >>> 0) === size && this.#parentLive()) {
      // A zero-size allocation on the bump leaves the one before it the top.
      if (end !== top) this.#starts.push(ptr, top);
      this.#top = end;
      return ptr;
    }
    return this.#allocSlow(size, this.#mask, this.#bias, this.alignment);
  }

  #allocAligned(size: number, alignment: number): number {
    checkRequestAlignment(alignment);
    const mask = alignment - 1;
    const bias = addressBias(this.memory, alignment);
    const top = this.#top;
    const ptr = top + (-(top + bias) & mask);
    const end = typeof size === "number" ? ptr + size : NaN;
    if (end <= this.#end && (size >>> 0) === size && this.#parentLive()) {
      // A zero-size allocation on the bump leaves the one before it the top.
      if (end !== top) this.#starts.push(ptr, top);
      this.#top = end;
      return ptr;
    }
    return this.#allocSlow(size, mask, bias, alignment);
  }

  /**
   * Same as {@linkcode Arena.alloc}, for the common interface: the bytes past
   * an arena's bump always read as zero (a free zeroes what it gives back),
   * so an unzeroed allocation costs nothing less here.
   *
   * @example
   * ```ts
   * import { Arena } from "@sp/mem/arena";
   * import assert from "node:assert/strict";
   *
   * using arena = new Arena();
   * const p = arena.allocUnsafe(64, 64);
   * assert.equal(p % 64, 0);
   * ```
   *
   * @param size The number of bytes.
   * @param alignment As for {@linkcode Arena.alloc}.
   * @returns The pointer.
   */
  allocUnsafe(size: number, alignment?: number): number {
    return this.alloc(size, alignment);
  }

  /**
   * Resizes an allocation. The top allocation (the last one, made after the
   * newest mark) changes size in place when its block has room; otherwise a
   * smaller size keeps the pointer and a larger one moves (copying
   * `oldSize` bytes; a smaller one moves only for an alignment its address
   * lacks, copying `newSize`). Bytes past the old size read as zero.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated (or last resized) with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment The alignment the block must have: it stays where it
   * is only if its address has it, else it moves; omitted, the arena's
   * {@linkcode Arena.alignment}, which every block has.
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
    if (
      this.#isTop(ptr, oldSize) && typeof newSize === "number" &&
      newSize > 0 && (newSize >>> 0) === newSize &&
      keepsAlignment(this.memory, ptr, alignment)
    ) {
      const end = ptr + newSize;
      if (end <= this.#end) {
        // Keep "every byte past the bump is zero" (growth finds zeros there).
        if (end < this.#top) zeroBytes(this.memory, end, this.#top);
        this.#top = end;
        return ptr;
      }
    }
    return this.#resizeSlow(ptr, oldSize, newSize, alignment);
  }

  /**
   * Frees the top allocation (the newest live one, made after the newest
   * mark), so that its bytes and the alignment padding before it are
   * reused: frees newest first give every byte back, down to the newest mark
   * (or the block's start). Freeing any other live allocation does nothing,
   * unless its size reaches a later allocation (a `size-mismatch`); a
   * pointer that is not live in this arena throws a {@linkcode PointerError}.
   *
   * @param ptr The allocation, or 0 to do nothing.
   * @param size The size it was allocated (or last resized) with.
   */
  free(ptr: number, size: number): void {
    if (ptr === 0) return;
    if (this.#isTop(ptr, size)) return this.#freeTop(ptr);
    this.#checkLive();
    checkSize(size, this.memory.byteLength, "Size", "the size of the memory");
    // Throws if the pointer is not live; a live non-top one is a no-op.
    this.#locate(ptr, size);
  }

  // Back to the bump before the freed one's padding: the end of the one
  // below it (the newest one left), the newest mark or the block's start.
  // Only the allocation is zeroed: its padding was past the bump, zero, and
  // owned by nothing since.
  #freeTop(ptr: number): void {
    zeroBytes(this.memory, ptr, this.#top);
    this.#top = ptr - this.#starts.pop();
  }

  #isTop(ptr: number, size: number): boolean {
    return this.#parentLive() &&
      isTop(ptr, size, this.#top, this.#floor, this.#starts.last);
  }

  /**
   * Remembers the current position, to return to with
   * {@linkcode Arena.pop}. The mark stays valid until a `pop` to an earlier
   * mark, or `clear`. Allocations made before the newest mark are frozen:
   * `free` ignores them and `resize` does not grow them in place. Marks taken
   * again and again at one place (a function's mark, alloc and pop, called
   * in a loop) take no more room than the first.
   *
   * @returns The mark.
   */
  mark(): ArenaMark {
    this.#checkLive();
    return this.#pushMark() as ArenaMark;
  }

  /**
   * Returns to `mark`: everything allocated since is given back (and zeroed)
   * at once, and the blocks chained since are kept for reuse. Marks made
   * after `mark` become invalid; `mark` itself stays valid, so a loop can pop
   * to it again and again.
   *
   * @param mark A live mark of this arena.
   */
  pop(mark: ArenaMark): void {
    this.#checkLive();
    const i = this.#findMark(mark);
    this.#rewind(this.#markBlocks[i], this.#markTops[i]);
    this.#markCounts[i] = this.#markIndex + 1;
    this.#dropMarks(i + 1);
  }

  /**
   * Gives back everything at once: back to the start of the first block,
   * with every block kept for reuse (nothing goes back to the parent). Every
   * mark becomes invalid.
   */
  clear(): void {
    this.#checkLive();
    this.#rewind(0, this.#ptrs[0] + ARENA_HEADER_SIZE);
    this.#dropMarks(0);
  }

  /**
   * Gives every block back to the parent (and destroys the page source the
   * arena made for itself, if it made one). Every call afterwards throws a
   * {@linkcode DestroyedError}; calling it again does nothing. A parent that
   * refuses a block (a debug allocator that found its red zone written)
   * still gets every other one, and its first error is thrown after.
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    noteEnd();
    const ptrs = this.#ptrs;
    const sizes = this.#sizes;
    this.#ptrs = [];
    this.#sizes = [];
    this.#tops = [];
    this.#before = [];
    this.#capacity = 0;
    this.#dropMarks(0);
    // Make every fast path fail, so that it reaches #checkLive.
    this.#start = this.#top = this.#base = 0;
    this.#end = -Infinity;
    this.#floor = Infinity;
    this.#cur = 0;
    const refusal = giveBack(
      ptrs.keys(),
      (i) => this.#parent.free(ptrs[i], sizes[i]),
    );
    this.#owned?.destroy();
    if (refusal !== undefined) throw refusal.error;
  }

  /** Same as {@linkcode Arena.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  #allocSlow(
    size: number,
    mask: number,
    bias: number,
    alignment: number,
  ): number {
    this.#checkLive();
    checkSize(size, this.memory.byteLength, "Size", "the size of the memory");
    const next = this.#cur + 1;
    if (next < this.#ptrs.length) {
      const start = this.#ptrs[next] + ARENA_HEADER_SIZE;
      const ptr = start + (-(start + bias) & mask);
      if (ptr + size <= this.#ptrs[next] + this.#sizes[next]) {
        this.#enter(next, ptr + size);
        this.#starts.push(ptr, start);
        return ptr;
      }
    }
    const growth = Math.max(
      this.#growth,
      Math.min(this.#growth * 2, MAX_BLOCK_GROWTH),
    );
    const need = ARENA_HEADER_SIZE + alignment + size;
    let blockSize = Math.max(growth, need);
    // Nothing changes before the parent has succeeded. A parent with no room
    // for the grown block may still have room for the least block that
    // holds the request (a doubled 1 MiB block failed where 512 KiB were
    // free, and every later alloc with it).
    let block: number;
    try {
      block = this.#allocBlock(blockSize, size, alignment);
      this.#growth = growth;
    } catch (e) {
      const least = Math.max(this.blockSize, need);
      if (!(e instanceof OutOfMemoryError) || least >= blockSize) throw e;
      block = this.#allocBlock(blockSize = least, size, alignment);
    }
    this.#insert(next, block, blockSize);
    const start = block + ARENA_HEADER_SIZE;
    const ptr = start + (-(start + bias) & mask);
    this.#enter(next, ptr + size);
    this.#starts.push(ptr, start);
    return ptr;
  }

  // A block of `blockSize` bytes from the parent for `size` bytes at
  // `alignment`. A parent that cannot hold a block that large (a RangeError)
  // or has no room for it (an OutOfMemoryError) says so of its own size; the
  // caller asked for `size`: an OutOfMemoryError for it, the parent's error
  // as its cause.
  #allocBlock(blockSize: number, size: number, alignment: number): number {
    try {
      return this.#parent.alloc(blockSize);
    } catch (e) {
      if (!(e instanceof RangeError || e instanceof OutOfMemoryError)) throw e;
      const why = e instanceof RangeError
        ? "more than its parent can give"
        : "and its parent has no room for it";
      const error = new OutOfMemoryError(
        `Arena cannot hold ${size} bytes at alignment ${alignment}: it needs a block of ${blockSize} bytes, ${why} (${e.message})`,
        size,
      );
      error.cause = e;
      throw error;
    }
  }

  #resizeSlow(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment: number | undefined,
  ): number {
    this.#checkLive();
    const max = this.memory.byteLength;
    checkSize(oldSize, max, "Old size", "the size of the memory");
    checkSize(newSize, max, "New size", "the size of the memory");
    this.#locate(ptr, oldSize);
    if (newSize === 0) {
      this.free(ptr, oldSize);
      return 0;
    }
    if (newSize <= oldSize && keepsAlignment(this.memory, ptr, alignment)) {
      zeroBytes(this.memory, ptr + newSize, ptr + oldSize);
      this.#starts.shrunk(ptr, oldSize - newSize);
      return ptr;
    }
    const moved = this.alloc(newSize, alignment);
    // A shrink that moves (for the alignment) keeps only newSize bytes.
    copyBytes(this.memory, moved, ptr, Math.min(oldSize, newSize));
    return moved;
  }

  // Makes block `i` (the current one or the one after it) current, with the
  // bump at `top`.
  #enter(i: number, top: number): void {
    this.#starts.forget(); // the allocations below are not its to free
    if (i !== this.#cur) {
      this.#tops[this.#cur] = this.#top;
      this.#before[i] = this.#base + (this.#top - this.#start);
    } else {
      this.#before[i] = 0;
    }
    this.#cur = i;
    this.#base = this.#before[i];
    this.#start = this.#ptrs[i] + ARENA_HEADER_SIZE;
    this.#end = this.#ptrs[i] + this.#sizes[i];
    this.#floor = this.#start;
    this.#top = top;
  }

  // Goes back to block `block` with the bump at `top`, zeroing every byte
  // used since, so that "everything past the bump is zero" holds again.
  // Zeroing here (at most one range per block) is cheaper than zeroing each
  // allocation as it is handed out.
  #rewind(block: number, top: number): void {
    this.#starts.forget();
    if (block === this.#cur) {
      zeroBytes(this.memory, top, this.#top);
      this.#top = top;
      return;
    }
    zeroBytes(this.memory, this.#start, this.#top);
    for (let i = this.#cur - 1; i > block; i--) {
      zeroBytes(this.memory, this.#ptrs[i] + ARENA_HEADER_SIZE, this.#tops[i]);
    }
    zeroBytes(this.memory, top, this.#tops[block]);
    this.#cur = block;
    this.#base = this.#before[block];
    this.#start = this.#ptrs[block] + ARENA_HEADER_SIZE;
    this.#end = this.#ptrs[block] + this.#sizes[block];
    this.#top = top;
  }

  // Chains a block in at index `i`, mirroring the chain in the headers.
  #insert(i: number, ptr: number, size: number): void {
    this.#ptrs.splice(i, 0, ptr);
    this.#sizes.splice(i, 0, size);
    this.#tops.splice(i, 0, 0);
    this.#before.splice(i, 0, 0);
    this.#capacity += size;
    const next = i + 1 < this.#ptrs.length ? this.#ptrs[i + 1] : 0;
    // Byte by byte: a block need not be 8-aligned.
    writeU64(this.#u8, ptr, next);
    writeU64(this.#u8, ptr + 8, size);
    if (i > 0) writeU64(this.#u8, this.#ptrs[i - 1], ptr);
  }

  #pushMark(): number {
    this.#starts.forget(); // frozen below the mark
    const id = nextMark++;
    this.#floor = this.#top;
    // At the newest run's position, the mark joins the run if its number is
    // the run's next: the second mark sets where the steps start, the third
    // the step (the numbers between are not live here: dropped, or another
    // arena's).
    const n = this.#marks, last = n - 1;
    if (
      n > 0 && this.#markTops[last] === this.#top &&
      this.#markBlocks[last] === this.#cur
    ) {
      const count = this.#markCounts[last];
      if (
        count < 3 ||
        id === this.#markSeconds[last] + (count - 1) * this.#markSteps[last]
      ) {
        if (count === 1) this.#markSeconds[last] = id;
        else if (count === 2) {
          this.#markSteps[last] = id - this.#markSeconds[last];
        }
        this.#markCounts[last] = count + 1;
        return id;
      }
    }
    this.#markIds[n] = id;
    this.#markSeconds[n] = id;
    this.#markSteps[n] = 1;
    this.#markCounts[n] = 1;
    this.#markBlocks[n] = this.#cur;
    this.#markTops[n] = this.#top;
    this.#marks = n + 1;
    return id;
  }

  #endRegion(mark: number): void {
    this.#checkLive();
    const i = this.#findMark(mark);
    this.#rewind(this.#markBlocks[i], this.#markTops[i]);
    this.#markCounts[i] = this.#markIndex;
    this.#dropMarks(this.#markIndex > 0 ? i + 1 : i);
  }

  // Keeps the first `count` runs and recomputes the floor from the newest.
  // Storage left from many more runs than are live goes (a clear() after
  // deep nesting), so that it cannot stay grown.
  #dropMarks(count: number): void {
    this.#marks = count;
    this.#floor = count > 0 && this.#markBlocks[count - 1] === this.#cur
      ? this.#markTops[count - 1]
      : this.#start;
    const kept = this.#markIds.length;
    if (kept > MARK_RUNS_KEPT && kept > 4 * count) {
      this.#markIds.length = this.#markSeconds.length = count;
      this.#markSteps.length = this.#markCounts.length = count;
      this.#markBlocks.length = this.#markTops.length = count;
    }
  }

  // The run that holds `mark`, its place in the run left in #markIndex.
  #findMark(mark: number): number {
    if (typeof mark === "number") {
      for (let i = this.#marks - 1; i >= 0; i--) {
        if (mark === this.#markIds[i]) {
          this.#markIndex = 0;
          return i;
        }
        const past = mark - this.#markSeconds[i], step = this.#markSteps[i];
        if (past < 0 || past >= (this.#markCounts[i] - 1) * step) continue;
        if (step === 1) {
          this.#markIndex = 1 + past;
          return i;
        }
        if (past % step === 0) {
          this.#markIndex = 1 + past / step;
          return i;
        }
      }
    }
    checkNumber(mark, "Mark", " from mark()");
    throw new RangeError(
      `Mark ${mark} is not a live mark of this arena: it comes from another arena, or a pop() to an earlier mark or a clear() discarded it; take a new mark()`,
    );
  }

  // Throws a PointerError unless [ptr, ptr + size) is inside the used part of
  // a block in use. A size-0 allocation owns no bytes and may be left past the
  // bump by a free of the allocation before it, so it need only be in a block.
  #locate(ptr: number, size: number): void {
    checkPointer(ptr);
    checkLast(ptr, size, this.#starts, this.#top);
    for (let i = this.#cur; i >= 0; i--) {
      const top = i === this.#cur ? this.#top : this.#tops[i];
      if (ptr >= this.#ptrs[i] + ARENA_HEADER_SIZE && ptr + size <= top) return;
    }
    for (let i = 0; i < this.#ptrs.length; i++) {
      const end = this.#ptrs[i] + this.#sizes[i];
      if (
        size === 0 && ptr >= this.#ptrs[i] + ARENA_HEADER_SIZE && ptr <= end
      ) {
        return;
      }
      if (ptr >= this.#ptrs[i] && ptr < end) {
        throw notLive(ptr, size, "this arena", "freed, popped or cleared");
      }
    }
    throw notInside(ptr, "not inside any block of this arena");
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError(
        "Arena was used after destroy(): make a new one",
      );
    }
    if (!this.#parentLive()) {
      noteDetached(this.memory);
      throw new DestroyedError(
        `Arena was used after ${
          goneUnder(this.#parent)
        }: its blocks are gone; make a new arena on a live parent`,
      );
    }
  }

  // Whether the parent still owns the arena's blocks: its memory is not
  // destroyed (with its page source), and it does not report `destroyed` (a
  // destroyed heap gave the blocks' pages back; an arena, pool, debug
  // allocator or scratch region reports it for anything under it too, so
  // this sees the whole chain). The fast paths check it, so an arena never
  // hands out memory its parent no longer owns: a few loads while no end
  // was counted since the chain was last asked.
  #parentLive(): boolean {
    return this.#u8.length !== 0 && this.#chain.live();
  }

  /** Whether this arena's chain ends only by calls counted in ENDS. */
  get [ENDS_HERE](): boolean {
    return this.#chain.endsHere;
  }
}
