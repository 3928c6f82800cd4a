/**
 * {@linkcode Pool}: fixed-size blocks in slabs taken from any allocator. Its
 * hot paths are here, with the slab bookkeeping they call right below them.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { zeroBytes } from "../internal/bytes.ts";
import { checkSize } from "../internal/checks.ts";
import { defaultPages } from "../os/default_pages.ts";
import { DestroyedError, OutOfMemoryError } from "../os/errors.ts";
import { grow } from "../internal/grow.ts";
import type { Memory } from "../os/memory.ts";
import { checkKeepOptions } from "../internal/options.ts";
import { DEFAULT_DECAY_MS, PageSource } from "../os/page_source.ts";
import { whenRevoked } from "../internal/revoke.ts";
import { unrefTimer } from "../internal/timers.ts";
import { checkPoolAlignment, poolGeometry } from "./_geometry.ts";
import * as rows from "./_slab_rows.ts";
import type { PoolOptions } from "./pool_types.ts";
import { validatePool } from "./_validate.ts";
import { locateBlock } from "./_locate.ts";
import { emptyPageMap, mapSlabPages, PAGE, type PageMap } from "./_page_map.ts";

// V8 folds a module's own constants into the code, not imported ones: the
// hot paths use these local copies.
const {
  CURRENT,
  EMPTY,
  END,
  FREE_HEAD,
  FRESH,
  FULL,
  LIVE,
  NEXT,
  NO_SLAB,
  PARTIAL,
  PREV,
  ROW,
  STATE,
  USED,
} = rows;

// At most this many expired slabs go back to the parent when a slab empties;
// the timer gives back the rest.
const DECAY_SLABS = 8;
// Blocks up to this size are zeroed by word stores on the fast path.
const ZERO_BY_STORES = 384;

/**
 * A pool of fixed-size blocks, like Zig's `std.heap.MemoryPool`: each block
 * is `blockSize` bytes, carved out of slabs that the pool takes from its
 * parent {@linkcode Allocator} (by default a page source of its own). An
 * allocation is one pop from a slab's free list and a free one push, so a
 * pair costs a few nanoseconds; every block is zeroed when handed out
 * ({@linkcode Pool.allocUnsafe} skips that).
 *
 * ```
 *  slab (slabSize bytes from the parent: 64 KiB by default)
 *  ┌─────┬─────────┬─────────┬─────┬─────────────┬──────┐
 *  │ pad │ block 0 │ block 1 │ ... │ block n − 1 │ tail │  block i at
 *  └─────┴─────────┴─────────┴─────┴─────────────┴──────┘  first + i · stride
 *   pad: up to the alignment; stride: blockSize rounded up to the alignment
 *
 *  bookkeeping, in typed arrays outside the memory:
 *  per slab  [free head │ fresh │ used │ state │ prev │ next]  (a row)
 *  per block next[slab · n + i]: the next free block, or LIVE
 *  per page  the slab that holds it
 * ```
 *
 * - A slab hands out the blocks freed in it first, last freed first (still
 *   in cache), then the blocks never used since it was taken (`fresh`, zero
 *   already) in address order. Allocation uses one slab, the current one; when it is
 *   full the next comes from the slabs with free blocks, then from the empty
 *   slabs kept for reuse, then from the parent.
 * - A slab whose last block is freed is kept for reuse and goes back to the
 *   parent once it has been empty for `decayMs` (the parent's by default),
 *   as a page source gives back its freed pages: the clock is read when a
 *   slab empties, which gives back a few expired slabs, and a timer that
 *   does not keep the process alive does the rest. The current slab stays
 *   where it is when it empties (no work for a pool that allocates and frees
 *   one block in a loop); the timer retires it if it is still empty. Call
 *   {@linkcode Pool.trim} to give back every empty slab at once.
 * - The bookkeeping never lives in the memory, so a stray write into a
 *   block, freed or not, cannot make the pool hand out a live block twice or
 *   accept a bad pointer. `free` and `resize` refuse anything that is not a
 *   live block of this pool with a {@linkcode PointerError} (reasons
 *   `out-of-range`, `unaligned`, `interior`, `double-free`, `foreign`,
 *   `size-mismatch`) and change nothing; these checks are always on.
 *
 * @example Blocks of 24 bytes
 * ```ts
 * import { Pool } from "@sp/mem/pool";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using pool = new Pool({ blockSize: 24, parent: pages });
 * const a = pool.alloc();
 * const b = pool.alloc();
 * assert.equal(b - a, 24); // natural alignment: 8
 * pool.memory.f64[a / 8] = 1.5;
 * pool.free(a);
 * assert.equal(pool.alloc(), a); // the last block freed comes back first
 * assert.equal(pool.memory.f64[a / 8], 0); // zeroed
 * assert.equal(pool.blocks, 2);
 * assert.equal(pool.bytesUsed, 48);
 * assert.equal(pool.bytesReserved, 65536); // one slab
 * ```
 *
 * @example Refused pointers
 * ```ts
 * import { Pool } from "@sp/mem/pool";
 * import { PointerError } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pool = new Pool({ blockSize: 32 });
 * const p = pool.alloc();
 * const reason = (call: () => void) => {
 *   try {
 *     call();
 *   } catch (e) {
 *     if (e instanceof PointerError) return e.reason;
 *   }
 * };
 * assert.equal(reason(() => pool.free(p + 16)), "interior");
 * assert.equal(reason(() => pool.free(p + 1)), "unaligned");
 * pool.free(p);
 * assert.equal(reason(() => pool.free(p)), "double-free");
 * assert.equal(pool.blocks, 0); // each refused call changed nothing
 * ```
 */
export class Pool implements Allocator, Disposable {
  /** The memory the pool's pointers address: its parent's. */
  readonly memory: Memory;
  /** The size of every block, in bytes. */
  readonly blockSize: number;
  /** The alignment of every block's (native) address. */
  readonly alignment: number;
  /** How far apart blocks are: `blockSize` rounded up to `alignment`. */
  readonly stride: number;
  /** The size of each slab taken from the parent, in bytes. */
  readonly slabSize: number;
  /** How many blocks each slab holds. */
  readonly blocksPerSlab: number;
  /** How long an empty slab is kept before it goes back, in milliseconds. */
  readonly decayMs: number;

  #parent: Allocator;
  #owned: PageSource | null;
  // Whether the parent must be asked if it is destroyed: a page source
  // detaches or revokes its memory, which the views below show; any other
  // parent (a heap) may be destroyed with its memory still alive.
  #askParent: boolean;
  #u8: Uint8Array;
  #f64: Float64Array;
  // Empties #u8 when the memory is revoked (a WasmPages or SharedPages
  // destroyed), as detaching does: the fast paths test its length.
  #watcher = { revoked: () => this.#u8 = new Uint8Array(0) };
  #unwatch: () => void;
  #bias: number;
  #mask: number;
  // The stride's reciprocal: a block index is found by a multiplication,
  // checked by multiplying back (a division costs more).
  #inverse: number;
  // Blocks zeroed by 8-byte stores of whole strides (-1: by zeroBytes).
  #zeroWords: number;
  #clock: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #destroyed = false;

  // Slot 0 is no slab: a full row, so the fast paths fall through.
  #meta: Int32Array;
  #first: Float64Array; // each slot's block 0
  #slab: Float64Array; // each slot's slab, as the parent returned it
  #emptiedAt: Float64Array; // when an empty slab emptied
  #next: Uint16Array;
  #slots = 0; // slots in the tables (slot 0 included)
  #freeSlots: number[] = [];
  // The slab that contains each page's first byte, and a slab that starts
  // inside the page (only where a parent packs slabs closer than pages).
  #map: PageMap = emptyPageMap();
  #pageSlab: Int32Array = this.#map.slab;

  #cur = 0;
  #partialHead = 0;
  #emptyHead = 0; // the oldest empty slab
  #emptyTail = 0; // the newest
  #blocks = 0;
  #slabCount = 0;
  #peakReserved = 0;

  /**
   * Makes a pool; it takes no slab until the first allocation. Every option
   * is checked before anything is made.
   *
   * @param options The block size, alignment, parent and decay.
   */
  constructor(options: PoolOptions) {
    const parent = options?.parent;
    const g = poolGeometry(
      options,
      parent === undefined || parent instanceof PageSource,
    );
    checkKeepOptions({ decayMs: options.decayMs, clock: options.clock });
    this.#owned = parent === undefined ? defaultPages() : null;
    this.#parent = parent ?? this.#owned!;
    this.#askParent = !(this.#parent instanceof PageSource);
    this.memory = this.#parent.memory;
    this.blockSize = g.blockSize;
    this.alignment = g.alignment;
    this.stride = g.stride;
    this.slabSize = g.slabSize;
    this.blocksPerSlab = g.blocksPerSlab;
    const parentDecay = (this.#parent as { readonly decayMs?: unknown })
      .decayMs;
    this.decayMs = options.decayMs ??
      (typeof parentDecay === "number" ? parentDecay : DEFAULT_DECAY_MS);
    this.#clock = options.clock ?? (() => performance.now());
    this.#u8 = this.memory.u8;
    this.#f64 = this.memory.f64;
    this.#unwatch = whenRevoked(this.memory, this.#watcher);
    this.#mask = g.alignment - 1;
    this.#bias = this.memory.address === null
      ? 0
      : Number(this.memory.address % BigInt(g.alignment));
    this.#inverse = 1 / g.stride;
    this.#zeroWords = g.alignment % 8 === 0 && this.#bias % 8 === 0 &&
        g.blockSize <= ZERO_BY_STORES
      ? Math.floor(g.blockSize / 8)
      : -1;
    this.#meta = new Int32Array(ROW);
    this.#first = new Float64Array(1);
    this.#slab = new Float64Array(1);
    this.#emptiedAt = new Float64Array(1);
    this.#next = new Uint16Array(0);
    this.#slots = 1;
    this.#meta[FREE_HEAD] = END;
    this.#meta[FRESH] = g.blocksPerSlab;
    this.#meta[STATE] = FULL;
  }

  /** The allocator the slabs come from. */
  get parent(): Allocator {
    return this.#parent;
  }

  /** Live blocks. */
  get blocks(): number {
    return this.#blocks;
  }

  /** Bytes in live blocks: `blocks × blockSize`. */
  get bytesUsed(): number {
    return this.#blocks * this.blockSize;
  }

  /** Bytes of the slabs taken from the parent and not given back. */
  get bytesReserved(): number {
    return this.#slabCount * this.slabSize;
  }

  /** The highest {@linkcode Pool.bytesReserved} ever reached. */
  get peakReserved(): number {
    return this.#peakReserved;
  }

  /** Slabs taken from the parent and not given back. */
  get slabs(): number {
    return this.#slabCount;
  }

  /** The bytes {@linkcode Pool.trim} would give back now: the empty slabs. */
  get trimmableBytes(): number {
    let n = 0;
    for (let s = this.#emptyHead; s !== 0; s = this.#meta[s * ROW + NEXT]) n++;
    const cur = this.#cur;
    if (cur !== 0 && this.#meta[cur * ROW + USED] === 0) n++;
    return n * this.slabSize;
  }

  /** Whether {@linkcode Pool.destroy} has been called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Allocates one zero-filled block.
   *
   * @param size The bytes needed, at most `blockSize` (default: the block).
   * @param alignment A power of two the address must be a multiple of, at
   *   most the pool's alignment (default: the pool's).
   * @returns The block's first byte.
   */
  alloc(size?: number, alignment?: number): number {
    if (
      (size === undefined || (size >>> 0 === size && size <= this.blockSize)) &&
      alignment === undefined && this.#live()
    ) {
      const s = this.#cur;
      const m = this.#meta;
      const row = s * ROW;
      const i = m[row + FREE_HEAD];
      if (i !== END) {
        // The last block freed: it holds what it held then, so zero it
        // now, while the caller is about to touch it anyway.
        const next = this.#next;
        const g = s * this.blocksPerSlab + i;
        m[row + FREE_HEAD] = next[g];
        next[g] = LIVE;
        m[row + USED]++;
        this.#blocks++;
        const ptr = this.#first[s] + i * this.stride;
        this.#zero(ptr);
        return ptr;
      }
      const fresh = this.#fresh(s);
      if (fresh !== 0) return fresh;
    }
    return this.#allocSlow(size, alignment, true);
  }

  /**
   * Allocates one block like {@linkcode Pool.alloc} but leaves its old bytes
   * as they are: for a block that the caller writes whole at once. A reused
   * block holds what its last owner left in it, so never hand it to code
   * that may read before writing (in this process, old bytes are other
   * data's).
   *
   * @example
   * ```ts
   * import { Pool } from "@sp/mem/pool";
   * import assert from "node:assert/strict";
   *
   * using pool = new Pool({ blockSize: 16 });
   * const a = pool.alloc();
   * pool.memory.f64[a / 8] = 7;
   * pool.free(a);
   * const b = pool.allocUnsafe(); // a again, not zeroed
   * assert.equal(b, a);
   * assert.equal(pool.memory.f64[b / 8], 7);
   * ```
   *
   * @param size The bytes needed, at most `blockSize` (default: the block).
   * @param alignment A power of two, at most the pool's alignment.
   * @returns The block's first byte.
   */
  allocUnsafe(size?: number, alignment?: number): number {
    if (
      (size === undefined || (size >>> 0 === size && size <= this.blockSize)) &&
      alignment === undefined && this.#live()
    ) {
      const s = this.#cur;
      const m = this.#meta;
      const row = s * ROW;
      const i = m[row + FREE_HEAD];
      if (i !== END) {
        const next = this.#next;
        const g = s * this.blocksPerSlab + i;
        m[row + FREE_HEAD] = next[g];
        next[g] = LIVE;
        m[row + USED]++;
        this.#blocks++;
        return this.#first[s] + i * this.stride;
      }
      const fresh = this.#fresh(s);
      if (fresh !== 0) return fresh;
    }
    return this.#allocSlow(size, alignment, false);
  }

  /**
   * Frees a block. `size`, if given, must be at most `blockSize` (any size
   * the block was allocated or resized with passes). Freeing 0 does nothing.
   *
   * @param ptr The block, or 0.
   * @param size The size it was allocated with, if known.
   */
  free(ptr: number, size?: number): void {
    // Page numbers are below 2^31, so `| 0` floors every pointer into the
    // memory; anything else finds no slab (or fails the checks below) and
    // takes the slow way, which says why.
    const s = this.#pageSlab[(ptr / PAGE) | 0];
    if (s > 0) {
      const off = ptr - this.#first[s];
      const i = Math.round(off * this.#inverse);
      const next = this.#next;
      const n = this.blocksPerSlab;
      const g = s * n + i;
      if (
        i * this.stride === off && i >>> 0 < n && next[g] === LIVE &&
        (size === undefined ||
          (size >>> 0 === size && size <= this.blockSize)) &&
        this.#live()
      ) {
        const m = this.#meta;
        const row = s * ROW;
        next[g] = m[row + FREE_HEAD];
        m[row + FREE_HEAD] = i;
        const used = m[row + USED] - 1;
        m[row + USED] = used;
        this.#blocks--;
        if (used === 0 || used === n - 1) this.#changed(s, used);
        return;
      }
    }
    if (ptr !== 0) this.#release(this.#locate(ptr, size, "Size"));
  }

  /**
   * Resizes a block in place ({@linkcode Allocator.resize}): any size up to
   * `blockSize` fits, so the pointer never moves; bytes past the old size
   * read as zero. `ptr` 0 allocates; `newSize` 0 frees and returns 0.
   *
   * @param ptr The block, or 0 to allocate.
   * @param oldSize The size it was allocated or last resized with.
   * @param newSize The size wanted, at most `blockSize`; 0 frees.
   * @param alignment A power of two, at most the pool's alignment.
   * @returns The pointer (the same one), or 0 if freed.
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    if (ptr === 0) return this.alloc(newSize, alignment);
    this.#checkLive();
    checkSize(oldSize, Number.MAX_SAFE_INTEGER, "Old size");
    const g = this.#locate(ptr, oldSize, "Old size");
    checkSize(newSize, this.blockSize, "New size", "the pool's block size");
    if (alignment !== undefined) this.#checkAlignment(alignment);
    if (newSize === 0) {
      this.#release(g);
      return 0;
    }
    if (newSize > oldSize) zeroBytes(this.memory, ptr + oldSize, ptr + newSize);
    return ptr;
  }

  // ── slab bookkeeping, called from alloc and free ───────────────────────

  // Hands out the next block of slab `s` never handed out since the slab
  // was taken (zero already), or returns 0 if there is none.
  #fresh(s: number): number {
    const m = this.#meta;
    const row = s * ROW;
    const i = m[row + FRESH];
    if (i === this.blocksPerSlab) return 0;
    m[row + FRESH] = i + 1;
    this.#next[s * this.blocksPerSlab + i] = LIVE;
    m[row + USED]++;
    this.#blocks++;
    return this.#first[s] + i * this.stride;
  }

  // Zeroes the block at `ptr`.
  #zero(ptr: number): void {
    const words = this.#zeroWords;
    if (words < 0) return zeroBytes(this.memory, ptr, ptr + this.blockSize);
    const f64 = this.#f64;
    const w = ptr / 8, end = w + words;
    for (let k = w; k < end; k++) f64[k] = 0;
    const u8 = this.#u8;
    for (let b = end * 8, last = ptr + this.blockSize; b < last; b++) u8[b] = 0;
  }

  // A slab's used count just reached 0 or fell below full.
  #changed(s: number, used: number): void {
    const m = this.#meta;
    const row = s * ROW;
    if (used === 0) {
      // The current slab stays current; the timer retires it if it stays
      // empty.
      if (s === this.#cur) {
        if (this.#timer === undefined && this.decayMs !== Infinity) {
          this.#arm();
        }
        return;
      }
      if (m[row + STATE] === PARTIAL) this.#unlinkPartial(s);
      this.#retire(s);
      return;
    }
    if (s !== this.#cur) {
      // It was full: now it has a free block.
      m[row + STATE] = PARTIAL;
      m[row + PREV] = 0;
      m[row + NEXT] = this.#partialHead;
      if (this.#partialHead !== 0) m[this.#partialHead * ROW + PREV] = s;
      this.#partialHead = s;
    }
  }

  // Puts an empty slab (on no list) on the empty list, newest last, and
  // gives back the slabs that have been empty too long.
  #retire(s: number): void {
    const m = this.#meta;
    const row = s * ROW;
    const now = this.#clock();
    m[row + STATE] = EMPTY;
    m[row + NEXT] = 0;
    m[row + PREV] = this.#emptyTail;
    if (this.#emptyTail !== 0) m[this.#emptyTail * ROW + NEXT] = s;
    else this.#emptyHead = s;
    this.#emptyTail = s;
    this.#emptiedAt[s] = now;
    this.#decay(now, DECAY_SLABS);
    if (this.#timer === undefined && this.#emptyHead !== 0) this.#arm();
  }

  // Gives back at most `count` slabs empty for longer than decayMs by `now`,
  // oldest first.
  #decay(now: number, count: number): number {
    let bytes = 0;
    const expired = now - this.decayMs;
    for (let s = this.#emptyHead; s !== 0 && count-- > 0; s = this.#emptyHead) {
      if (this.#emptiedAt[s] > expired) break;
      this.#unlinkEmpty(s);
      this.#giveBack(s);
      bytes += this.slabSize;
    }
    return bytes;
  }

  // The timer (it does not keep the process alive): when the oldest empty
  // slab is due, or after decayMs for a current slab that emptied, it
  // retires the current slab if it is empty and gives back what is due.
  #arm(): void {
    if (this.decayMs === Infinity || this.#destroyed) return;
    const now = this.#clock();
    const due = this.#emptyHead !== 0
      ? this.#emptiedAt[this.#emptyHead] + this.decayMs
      : now + this.decayMs;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#destroyed || !this.#live()) return;
      const cur = this.#cur;
      if (cur !== 0 && this.#meta[cur * ROW + USED] === 0) {
        this.#cur = 0;
        this.#retire(cur);
      }
      this.#decay(this.#clock(), Infinity);
      if (this.#emptyHead !== 0 && this.#timer === undefined) this.#arm();
    }, Math.max(0, due - now) + 1);
    unrefTimer(timer);
    this.#timer = timer;
  }

  #unlinkPartial(s: number): void {
    const m = this.#meta;
    const prev = m[s * ROW + PREV], next = m[s * ROW + NEXT];
    if (prev !== 0) m[prev * ROW + NEXT] = next;
    else this.#partialHead = next;
    if (next !== 0) m[next * ROW + PREV] = prev;
  }

  #unlinkEmpty(s: number): void {
    const m = this.#meta;
    const prev = m[s * ROW + PREV], next = m[s * ROW + NEXT];
    if (prev !== 0) m[prev * ROW + NEXT] = next;
    else this.#emptyHead = next;
    if (next !== 0) m[next * ROW + PREV] = prev;
    else this.#emptyTail = prev;
  }

  // The slow way of alloc and allocUnsafe: checks the arguments, then
  // allocates from the current slab, or makes another slab current.
  #allocSlow(
    size: number | undefined,
    alignment: number | undefined,
    zero: boolean,
  ): number {
    this.#checkLive();
    if (size !== undefined) {
      checkSize(size, this.blockSize, "Size", "the pool's block size");
    }
    if (alignment !== undefined) this.#checkAlignment(alignment);
    let s = this.#cur;
    let m = this.#meta;
    if (
      m[s * ROW + FREE_HEAD] === END &&
      m[s * ROW + FRESH] === this.blocksPerSlab
    ) {
      s = this.#nextSlab();
      m = this.#meta;
    }
    const fresh = this.#fresh(s);
    if (fresh !== 0) return fresh;
    const row = s * ROW;
    const next = this.#next;
    const i = m[row + FREE_HEAD];
    const g = s * this.blocksPerSlab + i;
    m[row + FREE_HEAD] = next[g];
    next[g] = LIVE;
    m[row + USED]++;
    this.#blocks++;
    const ptr = this.#first[s] + i * this.stride;
    if (zero) this.#zero(ptr);
    return ptr;
  }

  // Makes a slab with room current: one with free blocks, else the newest
  // empty one, else a new one from the parent. The old current slab is full.
  #nextSlab(): number {
    let s = this.#partialHead;
    if (s !== 0) this.#unlinkPartial(s);
    else if ((s = this.#emptyTail) !== 0) this.#unlinkEmpty(s);
    else s = this.#takeSlab();
    const m = this.#meta; // (taking a slab may have grown the tables)
    const old = this.#cur;
    if (old !== 0) m[old * ROW + STATE] = FULL;
    m[s * ROW + STATE] = CURRENT;
    this.#cur = s;
    return s;
  }

  // Takes a new slab from the parent into a free slot.
  #takeSlab(): number {
    let ptr: number;
    try {
      ptr = this.#parent.alloc(this.slabSize);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e;
      throw new OutOfMemoryError(
        `Out of memory: the parent has no room for a slab of ${this.slabSize} bytes (the pool reserves ${this.bytesReserved} bytes in ${this.#slabCount} slabs); give the pool a parent with more room`,
        this.slabSize,
      );
    }
    const s = this.#freeSlots.pop() ?? this.#addSlot();
    const first = ptr + (-(ptr + this.#bias) & this.#mask);
    this.#first[s] = first;
    this.#slab[s] = ptr;
    const m = this.#meta;
    const row = s * ROW;
    m[row + FREE_HEAD] = END;
    m[row + FRESH] = 0;
    m[row + USED] = 0;
    m[row + STATE] = FULL; // on no list, until it is made current
    m[row + PREV] = m[row + NEXT] = 0;
    const n = this.blocksPerSlab;
    this.#next.fill(END, s * n, s * n + n);
    this.#mapPages(s, ptr, s);
    this.#slabCount++;
    this.#peakReserved = Math.max(this.#peakReserved, this.bytesReserved);
    return s;
  }

  // A new slot at the end of the tables, which double when full.
  #addSlot(): number {
    const s = this.#slots++;
    if (s >= this.#first.length) {
      const slots = 2 * this.#first.length;
      this.#meta = grow(this.#meta, new Int32Array(slots * ROW));
      this.#first = grow(this.#first, new Float64Array(slots));
      this.#slab = grow(this.#slab, new Float64Array(slots));
      this.#emptiedAt = grow(this.#emptiedAt, new Float64Array(slots));
      this.#next = grow(
        this.#next,
        new Uint16Array(slots * this.blocksPerSlab),
      );
    }
    return s;
  }

  // Gives the slab in slot `s` (on no list) back to the parent.
  #giveBack(s: number): void {
    const ptr = this.#slab[s];
    this.#mapPages(s, ptr, 0);
    this.#slabCount--;
    this.#freeSlots.push(s);
    this.#meta[s * ROW + STATE] = NO_SLAB;
    this.#parent.free(ptr, this.slabSize);
  }

  // Records slot `value` (or 0) for the pages of the slab at `ptr`; the
  // free fast path reads the map's (possibly grown) array from a field.
  #mapPages(s: number, ptr: number, value: number): void {
    mapSlabPages(this.#map, s, ptr, this.slabSize, value);
    this.#pageSlab = this.#map.slab;
  }

  // ── pointers ───────────────────────────────────────────────────────────

  // The live block at `ptr` (see locateBlock), after the liveness check.
  #locate(ptr: number, size: number | undefined, what: string): number {
    this.#checkLive();
    return locateBlock(
      {
        memoryBytes: this.#u8.length,
        map: this.#map,
        slab: this.#slab,
        first: this.#first,
        next: this.#next,
        blocksPerSlab: this.blocksPerSlab,
        stride: this.stride,
        slabSize: this.slabSize,
        blockSize: this.blockSize,
        alignment: this.alignment,
        bias: this.#bias,
      },
      ptr,
      size,
      what,
    );
  }

  // Frees the live block that #locate found.
  #release(g: number): void {
    const n = this.blocksPerSlab;
    const s = Math.floor(g / n), i = g - s * n;
    const m = this.#meta;
    const row = s * ROW;
    this.#next[g] = m[row + FREE_HEAD];
    m[row + FREE_HEAD] = i;
    const used = m[row + USED] - 1;
    m[row + USED] = used;
    this.#blocks--;
    if (used === 0 || used === n - 1) this.#changed(s, used);
  }

  #checkAlignment(alignment: number): void {
    checkPoolAlignment(alignment);
    if (alignment <= this.alignment) return;
    throw new RangeError(
      `Alignment ${alignment} is more than this pool's blocks have (${this.alignment}): make the pool with alignment: ${alignment}`,
    );
  }

  // ── trim, validate, destroy ────────────────────────────────────────────

  /**
   * Gives every empty slab back to the parent at once — the current one
   * too, if it is empty — and returns the bytes given back;
   * `bytesReserved` falls by as much.
   *
   * @example
   * ```ts
   * import { Pool } from "@sp/mem/pool";
   * import assert from "node:assert/strict";
   *
   * using pool = new Pool({ blockSize: 1024, decayMs: Infinity });
   * const blocks = Array.from({ length: 200 }, () => pool.alloc());
   * assert.equal(pool.slabs, 4); // 64 blocks a slab
   * for (const p of blocks) pool.free(p);
   * assert.equal(pool.trimmableBytes, 4 * 65536); // kept for reuse
   * assert.equal(pool.trim(), 4 * 65536);
   * assert.equal(pool.bytesReserved, 0);
   * assert.equal(pool.peakReserved, 4 * 65536);
   * ```
   *
   * @returns The bytes given back.
   */
  trim(): number {
    this.#checkLive();
    let bytes = 0;
    const cur = this.#cur;
    if (cur !== 0 && this.#meta[cur * ROW + USED] === 0) {
      this.#cur = 0;
      this.#giveBack(cur);
      bytes += this.slabSize;
    }
    return bytes + this.#decay(Infinity, Infinity);
  }

  /**
   * Checks every slab's free list, block marks, counts and list, the page
   * map and the counters, and that the bytes no block owns — the padding
   * after each block, the blocks never handed out, a slab's head and tail —
   * read as zero, so a write past the end of a block is found. Free blocks
   * keep their old bytes until they are reused, so they are not checked.
   * Throws a `HeapCorruptionError` naming the first thing wrong and where.
   * It walks all the pool's memory: for tests and debugging.
   *
   * @example Finding a write past the end
   * ```ts
   * import { Pool } from "@sp/mem/pool";
   * import assert from "node:assert/strict";
   *
   * using pool = new Pool({ blockSize: 20, alignment: 8 }); // 4 bytes of padding
   * const p = pool.alloc();
   * pool.memory.u8[p + 21] = 1; // a bug: past the end of the block
   * assert.throws(() => pool.validate(), /should read as zero/);
   * pool.memory.u8[p + 21] = 0;
   * pool.validate();
   * ```
   */
  validate(): void {
    this.#checkLive();
    validatePool({
      memory: this.memory,
      meta: this.#meta,
      first: this.#first,
      slab: this.#slab,
      next: this.#next,
      pageSlab: this.#map.slab,
      pageSlabInside: this.#map.inside,
      slots: this.#slots,
      cur: this.#cur,
      partialHead: this.#partialHead,
      emptyHead: this.#emptyHead,
      emptyTail: this.#emptyTail,
      blocks: this.#blocks,
      slabCount: this.#slabCount,
      blockSize: this.blockSize,
      stride: this.stride,
      slabSize: this.slabSize,
      blocksPerSlab: this.blocksPerSlab,
    });
  }

  /**
   * Gives every slab back to the parent (and destroys the page source the
   * pool made for itself, if it made one). Every call afterwards throws a
   * {@linkcode DestroyedError} (freeing 0 still does nothing); the counters
   * read 0 but for `peakReserved`. Calling it again does nothing.
   *
   * @example
   * ```ts
   * import { Pool } from "@sp/mem/pool";
   * import { BufferPages, DestroyedError } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * const pool = new Pool({ blockSize: 64, parent: pages });
   * const p = pool.alloc();
   * pool.destroy();
   * assert.equal(pages.liveBytes, 0); // every slab is back
   * assert.throws(() => pool.free(p), DestroyedError);
   * ```
   */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#unwatch();
    clearTimeout(this.#timer);
    const slabs: number[] = [];
    for (let s = 1; s < this.#slots; s++) {
      if (this.#meta[s * ROW + STATE] !== NO_SLAB) slabs.push(this.#slab[s]);
    }
    // Every fast path falls through to the checks, which throw.
    this.#cur =
      this.#partialHead =
      this.#emptyHead =
      this.#emptyTail =
        0;
    this.#map = emptyPageMap();
    this.#pageSlab = this.#map.slab;
    this.#blocks = this.#slabCount = 0;
    try {
      for (const ptr of slabs) this.#parent.free(ptr, this.slabSize);
    } catch (e) {
      // A parent destroyed first took the slabs with it.
      if (!(e instanceof DestroyedError)) throw e;
    } finally {
      this.#owned?.destroy();
    }
  }

  /** Same as {@linkcode Pool.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // Whether the parent still owns the slabs: its memory is not destroyed
  // (an emptied view) and, for a parent that is no page source, it is not
  // destroyed itself (a destroyed heap gave the slabs' pages back).
  #live(): boolean {
    return this.#u8.length !== 0 &&
      (!this.#askParent ||
        (this.#parent as { readonly destroyed?: boolean }).destroyed !== true);
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError("Pool was used after destroy(): make a new one");
    }
    if (!this.#live()) {
      throw new DestroyedError(
        "Pool was used after its parent allocator was destroyed: its slabs are gone; make a new pool on a live parent",
      );
    }
  }
}
