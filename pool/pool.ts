/**
 * {@linkcode Pool}: fixed-size blocks in slabs taken from any allocator. The
 * fast paths are here, one screen each; the slab bookkeeping they fall back
 * on is in `_slabs.ts`, the pointer search for refusals in `_locate.ts`.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { giveBack } from "../internal/give_back.ts";
import { zeroBytes } from "../internal/bytes.ts";
import { checkNumber, checkSize } from "../internal/checks.ts";
import { defaultPages } from "../os/default_pages.ts";
import { DestroyedError } from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import { checkKeepOptions, readClock, saneClock } from "../internal/options.ts";
import { DEFAULT_DECAY_MS, PageSource } from "../os/page_source.ts";
import { noteDetached, whenRevoked } from "../internal/revoke.ts";
import { checkPoolAlignment, poolGeometry } from "./_geometry.ts";
import { strideDivision } from "./_stride.ts";
import { END, FREE_HEAD, FRESH, LIVE, ROW, USED } from "./_slab_rows.ts";
import { Slabs } from "./_slabs.ts";
import type { PoolOptions } from "./pool_types.ts";
import { validatePool } from "./_validate.ts";
import { locateBlock } from "./_locate.ts";
import {
  ChainWatch,
  ENDS_HERE,
  goneUnder,
  noteEnd,
} from "../internal/parent_chain.ts";

// V8 folds a module's own constants into the code, not imported ones: the
// hot paths use these local copies.
const L_END = END, L_LIVE = LIVE, L_ROW = ROW;
const L_FREE_HEAD = FREE_HEAD, L_USED = USED;
// PAGE_SHIFT and PAGE − 1 (tests/pool_stride_test.ts checks they agree).
const SHIFT = 12, IN_PAGE = 4095;
// Blocks up to this size are zeroed by word stores on the fast path.
const ZERO_BY_STORES = 384;
// The current slab's free-list head and live count, in Pool's #hot.
const H_HEAD = 0, H_COUNT = 1;
// How many blocks never used go on the free list at once when it is empty.
const FRESH_BATCH = 64;

// What a pool's constructor derives from its options, before super().
interface PoolSetup {
  memory: Memory;
  blockSize: number;
  alignment: number;
  stride: number;
  slabSize: number;
  blocksPerSlab: number;
  decayMs: number;
  parent: Allocator;
  owned: PageSource | null;
  askParent: boolean;
  bias: number;
  shift: number;
  low: number;
  inverse: number;
  zeroWords: number;
}

// The setup of the pool being made, for its field definitions (set just
// before its super() call, cleared just after).
let setup: PoolSetup | null = null;

// Checks every option (before anything is made) and derives the fields.
function poolSetup(options: PoolOptions): PoolSetup {
  const parent = options?.parent;
  const g = poolGeometry(options, {
    onPages: parent === undefined || parent instanceof PageSource,
  });
  checkKeepOptions({ decayMs: options.decayMs, clock: options.clock });
  if (options.clock !== undefined) readClock(options.clock);
  const owned = parent === undefined ? defaultPages() : null;
  const p = parent ?? owned!;
  const memory = p.memory;
  const parentDecay = (p as { readonly decayMs?: unknown }).decayMs;
  const bias = memory.address === null
    ? 0
    : Number(memory.address % BigInt(g.alignment));
  const d = strideDivision(g.stride);
  // `| 0`: small integers in the fields the fast paths read (a value from
  // Math.floor may be a double, and a double field makes all the arithmetic
  // on it float; the inverse read back from an object may be a boxed
  // number, which made the free path convert it to a float and back).
  return {
    memory,
    blockSize: g.blockSize | 0,
    alignment: g.alignment | 0,
    stride: g.stride | 0,
    slabSize: g.slabSize | 0,
    blocksPerSlab: g.blocksPerSlab | 0,
    decayMs: options.decayMs ??
      (typeof parentDecay === "number" ? parentDecay : DEFAULT_DECAY_MS),
    parent: p,
    owned,
    askParent: !(p instanceof PageSource),
    bias: bias | 0,
    shift: d.shift | 0,
    low: d.low | 0,
    inverse: d.inverse | 0,
    // Word stores index by `ptr >>> 3`, which a memory past 4 GiB would
    // take modulo 2^32 (another block's bytes zeroed, not this one's).
    zeroWords: g.alignment % 8 === 0 && bias % 8 === 0 &&
        g.blockSize <= ZERO_BY_STORES && memory.byteLength <= 2 ** 32
      ? (g.stride / 8) | 0
      : -1,
  };
}

/**
 * A pool of fixed-size blocks, like Zig's `std.heap.MemoryPool`: each block
 * is `blockSize` bytes, carved out of slabs that the pool takes from its
 * parent {@linkcode Allocator} (by default a page source of its own). An
 * allocation is one pop from a slab's free list and a free one push (a
 * pair, by `deno run --allow-ffi bench/pool_bench.ts`: 3.9–4.2 ns, 3.4–3.8
 * unzeroed, beside 2.2–2.3 for a bare free list, on a pool in a module's
 * `const`, whose fixed fields V8 folds into the code; 7.3–7.9 zeroed on a
 * pool it does not know while compiling); every block is zeroed when handed
 * out ({@linkcode Pool.allocUnsafe} skips that).
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
 *  per page  the slab that holds it, and the page's offset from that
 *            slab's block 0
 * ```
 *
 * `free(ptr)` takes `ptr`'s offset from the current slab's block 0 (for a
 * block of another slab, the page map gives the page's slab and offset)
 * and finds the block index with a multiplication by the stride's inverse
 * modulo 2^32 (exact for multiples of the stride, and far out of range for
 * anything else), so the whole pointer check is integer arithmetic and one
 * mark test.
 *
 * - A slab hands out the blocks freed in it first, last freed first (still
 *   in cache), then the blocks never used since it was taken (`fresh`, zero
 *   already) in address order. Allocation uses one slab, the current one; when it is
 *   full the next comes from the slabs with free blocks, then from the empty
 *   slabs kept for reuse, then from the parent.
 * - A slab whose last block is freed is kept for reuse and goes back to the
 *   parent once it has been empty for `decayMs` (the parent's by default),
 *   as a page source gives back its freed pages: the clock is read when a
 *   slab other than the current one empties, which gives back a few expired
 *   slabs, and a timer that does not keep the process alive does the rest. The current slab stays
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
export class Pool extends Object implements Allocator, Disposable {
  // The fields the pool never changes take their values at their
  // definition, from the constructor's `setup` (see there): a field stored
  // once is a constant to V8, which folds its value into the fast paths of
  // a pool it knows (one in a module's `const`): the stride's shift and
  // inverse become immediates, the parent's kind and the words to zero
  // tests taken at compile time (1.8 ns a zeroed pair by
  // bench/pool_bench.ts).

  /** The memory the pool's pointers address: its parent's. */
  readonly memory: Memory = setup!.memory;
  /** The size of every block, in bytes. */
  readonly blockSize: number = setup!.blockSize;
  /** The alignment of every block's (native) address. */
  readonly alignment: number = setup!.alignment;
  /** How far apart blocks are: `blockSize` rounded up to `alignment`. */
  readonly stride: number = setup!.stride;
  /** The size of each slab taken from the parent, in bytes. */
  readonly slabSize: number = setup!.slabSize;
  /** How many blocks each slab holds. */
  readonly blocksPerSlab: number = setup!.blocksPerSlab;
  /** How long an empty slab is kept before it goes back, in milliseconds. */
  readonly decayMs: number = setup!.decayMs;

  // Every field the fast paths read starts as a small integer, a boolean or
  // a typed array of its kind, not undefined: a field first undefined holds
  // any value, and every read of it then checks what it is (a boxed number,
  // read as a float and converted back, in free's multiplication; a typed
  // array's class, on each of the four read).
  #parent: Allocator = setup!.parent;
  #owned: PageSource | null = setup!.owned;
  // Whether the parent must be asked if it is destroyed: a page source
  // detaches or revokes its memory (below); any other parent (a heap) may
  // be destroyed with its memory still alive.
  #askParent: boolean = setup!.askParent;
  #chain: ChainWatch = new ChainWatch(setup!.parent);
  // The memory's views, never replaced: a detached memory (a BufferPages
  // or OsPages destroyed) shows as an empty #f64, which the fast paths
  // test — for a pool V8 knows, a test it folds away until some buffer in
  // the process is detached (it then recompiles the code with it): 0.4 ns
  // a pair by bench/pool_bench.ts.
  #u8: Uint8Array = setup!.memory.u8;
  #f64: Float64Array = setup!.memory.f64;
  // A revoked memory (a WasmPages or SharedPages destroyed) cannot be
  // detached: when told, the pool writes its current slab back (a later
  // flush writes an empty head over it, which nothing reads: every call
  // that would is refused) and closes both fast paths for good (an empty
  // free list, an empty table view: #sync keeps the view empty when the
  // decay timer fires later, and the checks refuse every call that would
  // make another slab current), and the checks read #revoked.
  #revoked = false;
  #watcher = {
    revoked: () => {
      this.#flush();
      this.#revoked = true;
      this.#hot[H_HEAD] = L_END;
      this.#curNext = new Uint16Array(0);
    },
  };
  #unwatch: () => void;
  #bias: number = setup!.bias;
  // A block offset `off` is block i = imul(off >>> #shift, #inverse) >>> 0
  // when (off & #low) === 0 and i < blocksPerSlab (see _stride.ts).
  #shift: number = setup!.shift;
  #low: number = setup!.low;
  #inverse: number = setup!.inverse;
  // Words per stride, for zeroing by 8-byte stores (-1: by zeroBytes).
  #zeroWords: number = setup!.zeroWords;
  #destroyed = false;
  #slabs: Slabs;

  // Copies of the tables' references and of the current slab's slot, row
  // and block 0, which the fast paths read; #sync refreshes them.
  #meta: Int32Array = new Int32Array(0);
  #next: Uint16Array = new Uint16Array(0);
  #pages: Int32Array = new Int32Array(0);
  #cur = 0;
  #curRow = 0;
  #curFirst = 0;
  // The current slab's part of #next (empty: no current slab), which the
  // fast paths index by block: a read past its end is undefined, no mark,
  // so that bounds check is free's range check.
  #curNext: Uint16Array = new Uint16Array(0);
  // The current slab's free-list head (END: empty) and live count live
  // here, not in its row (#flush writes them back before the slab
  // bookkeeping reads it): a pair then touches no table row. They are the
  // two int32s of #hot, not fields: read and written with no small-integer
  // tagging and, for a pool V8 knows, at an address it folds into the code
  // (0.4 ns a pair by bench/pool_bench.ts). The count is kept plus
  // #armedOne: 1 while the decay timer is set (Slabs.armed), 0 otherwise,
  // so that it reaches 0 just when free must tell the bookkeeping that the
  // slab emptied — a test with no further load.
  #hot: Int32Array = Int32Array.of(L_END, 0);
  #armedOne = 0;
  // Live blocks in the slabs that are not current.
  #others = 0;

  /**
   * Makes a pool; it takes no slab until the first allocation. Every option
   * is checked before anything is made.
   *
   * @param options The block size, alignment, parent and decay.
   */
  constructor(options: PoolOptions) {
    // Everything is checked and derived before super(), for the field
    // definitions to read (no `this` yet: a throw leaves nothing made).
    setup = poolSetup(options);
    super();
    setup = null;
    this.#unwatch = whenRevoked(this.memory, this.#watcher);
    this.#slabs = new Slabs({
      parent: this.#parent,
      slabSize: this.slabSize,
      blocksPerSlab: this.blocksPerSlab,
      mask: this.alignment - 1,
      bias: this.#bias,
      decayMs: this.decayMs,
      clock: saneClock(options.clock),
      onChange: () => this.#sync(),
      flush: () => this.#flush(),
      live: () => this.#live(),
    });
    this.#sync();
  }

  /** The allocator the slabs come from. */
  get parent(): Allocator {
    return this.#parent;
  }

  /** Live blocks. */
  get blocks(): number {
    return this.#others + this.#used();
  }

  /** Bytes in live blocks: `blocks × blockSize`. */
  get bytesUsed(): number {
    return this.blocks * this.blockSize;
  }

  /** Bytes of the slabs taken from the parent and not given back. */
  get bytesReserved(): number {
    return this.#slabs.count * this.slabSize;
  }

  /** The highest {@linkcode Pool.bytesReserved} ever reached. */
  get peakReserved(): number {
    return this.#slabs.peakReserved;
  }

  /** Slabs taken from the parent and not given back. */
  get slabs(): number {
    return this.#slabs.count;
  }

  /** The bytes {@linkcode Pool.trim} would give back now: the empty slabs. */
  get trimmableBytes(): number {
    return this.#slabs.emptySlabs * this.slabSize;
  }

  /**
   * Whether the pool can no longer serve: {@linkcode Pool.destroy} has been
   * called, or what is under it is gone (its parent, at any depth, reports
   * `destroyed`, as an ended scratch region does, or its memory was
   * destroyed). Every call then throws a {@linkcode DestroyedError}.
   */
  get destroyed(): boolean {
    return this.#destroyed || !this.#live();
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
    // Every block comes off a free list: a freed one holds what it held
    // then (one never used is zero already, and zeroed once more), so zero
    // it now, while the caller is about to touch it anyway.
    const ptr = this.allocUnsafe(size, alignment);
    const f64 = this.#f64, words = this.#zeroWords;
    const k = ptr >>> 3;
    if (words > 0 && words <= 8) {
      // Written out: no loop to run (for a pool V8 knows, the tests on
      // `words`, a constant, fold away).
      f64[k] = 0;
      if (words > 1) f64[k + 1] = 0;
      if (words > 2) f64[k + 2] = 0;
      if (words > 3) f64[k + 3] = 0;
      if (words > 4) f64[k + 4] = 0;
      if (words > 5) f64[k + 5] = 0;
      if (words > 6) f64[k + 6] = 0;
      if (words > 7) f64[k + 7] = 0;
    } else if (words < 0) this.#zeroBytes(ptr);
    else for (let j = k, end = k + words; j < end; j++) f64[j] = 0;
    return ptr;
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
    // The fast path calls nothing, so that V8 inlines it whole into the
    // caller (a helper left out of an inlining budget costs a call), and
    // the liveness test (#live) is written out. `| 0` and Math.imul keep
    // the arithmetic int32, with no overflow checks.
    const i = this.#hot[H_HEAD];
    if (
      i !== L_END && alignment === undefined &&
      (size === undefined ||
        (typeof size === "number" && size >>> 0 === size &&
          size <= this.blockSize)) &&
      this.#f64.length !== 0 &&
      (this.#askParent === false || this.#parentAlive())
    ) {
      const next = this.#curNext;
      this.#hot[H_HEAD] = next[i];
      next[i] = L_LIVE;
      this.#hot[H_COUNT] = (this.#hot[H_COUNT] + 1) | 0;
      return this.#curFirst + Math.imul(i, this.stride);
    }
    return this.#allocSlow(size, alignment) || this.allocUnsafe();
  }

  /**
   * Frees a block. `size`, if given, must be at most `blockSize` (any size
   * the block was allocated or resized with passes). Freeing 0 does nothing.
   *
   * @param ptr The block, or 0.
   * @param size The size it was allocated with, if known.
   */
  free(ptr: number, size?: number): void {
    // A block of the current slab is found by its offset from block 0
    // alone; any other by the page map (#freeOther). The offset is exact,
    // an int32 and not negative (no offset taken modulo 2^32, which could
    // alias a pointer far below the slab onto a block of it), and ptr was a
    // number (anything else takes the slow way, which says why); V8 folds
    // the tests of an int32 pointer to `off >= 0`. A bigint or a symbol
    // would throw in the subtraction: it is tested first (a non-number's
    // offset is -1, refused as the slow way says).
    const off = typeof ptr === "number" ? ptr - this.#curFirst : -1;
    if ((off | 0) === off && off >= 0) {
      // (A negative i, an offset that is no multiple, reads undefined.)
      const i = Math.imul(off >>> this.#shift, this.#inverse);
      const next = this.#curNext;
      if (
        (off & this.#low) === 0 && next[i] === L_LIVE &&
        (size === undefined ||
          (typeof size === "number" && size >>> 0 === size &&
            size <= this.blockSize)) &&
        this.#f64.length !== 0 &&
        (this.#askParent === false || this.#parentAlive())
      ) {
        next[i] = this.#hot[H_HEAD];
        this.#hot[H_HEAD] = i;
        // The current slab stays where it is when it empties, with the
        // decay timer armed.
        const count = (this.#hot[H_COUNT] - 1) | 0;
        this.#hot[H_COUNT] = count;
        if (count === 0) this.#slabs.changed(this.#cur, 0);
        return;
      }
    }
    this.#freeOther(ptr, size);
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
      this.#releaseAt(g);
      return 0;
    }
    if (newSize > oldSize) zeroBytes(this.memory, ptr + oldSize, ptr + newSize);
    return ptr;
  }

  // ── the slow side of the fast paths ────────────────────────────────────

  // The rest of alloc and allocUnsafe, when the current slab's free list is
  // empty or the arguments need checking: checks them, makes a slab with
  // room current if the current one is full, and, if its free list is
  // empty, puts its next blocks never used on it; returns 0, for the caller
  // to pop one by its fast path.
  #allocSlow(size: number | undefined, alignment: number | undefined): 0 {
    this.#checkLive();
    if (size !== undefined) {
      checkSize(size, this.blockSize, "Size", "the pool's block size");
    }
    if (alignment !== undefined) this.#checkAlignment(alignment);
    if (this.#hot[H_HEAD] !== END) return 0;
    if (this.#meta[this.#curRow + FRESH] === this.blocksPerSlab) {
      this.#slabs.nextSlab();
      if (this.#hot[H_HEAD] !== END) return 0;
    }
    // Up to FRESH_BATCH blocks never used, in address order: they are zero
    // already (alloc zeroes them once more, which costs less than a second
    // way of handing out a block on the fast path).
    const m = this.#meta, row = this.#curRow, next = this.#next;
    const f = m[row + FRESH];
    const end = Math.min(f + FRESH_BATCH, this.blocksPerSlab);
    const base = this.#cur * this.blocksPerSlab;
    for (let i = f; i < end - 1; i++) next[base + i] = i + 1;
    next[base + end - 1] = END;
    m[row + FRESH] = end;
    this.#hot[H_HEAD] = f;
    return 0;
  }

  // The rest of free: a block of a slab that is not the current one, by
  // the page map (one pair of reads gives its slab and offset), or the
  // slow way, which refuses what is no live block.
  #freeOther(ptr: number, size: number | undefined): void {
    // (typeof first: `>>> 0` throws on a bigint. The slow way is a call of
    // its own so that this stays small enough to inline into a free walk:
    // with its checks here, bench/binary_trees.ts pool went 24.4 -> 26.3 ns
    // a node.)
    if (typeof ptr === "number" && ptr >>> 0 === ptr) {
      const pages = this.#pages, e = (ptr >>> SHIFT) << 1, s = pages[e];
      if (s > 0) {
        const off = pages[e + 1] + (ptr & IN_PAGE);
        const i = Math.imul(off >>> this.#shift, this.#inverse) >>> 0;
        const n = this.blocksPerSlab, g = s * n + i;
        if (
          i < n && (off & this.#low) === 0 && this.#next[g] === L_LIVE &&
          (size === undefined ||
            (typeof size === "number" && size >>> 0 === size &&
              size <= this.blockSize)) &&
          this.#live()
        ) {
          // (Not for a live block of the current slab, which free's fast
          // path takes; kept for any that comes here.)
          if (s === this.#cur) return this.#releaseCurrent(i, g);
          return this.#releaseOther(s, i, g);
        }
      }
    }
    this.#freeSlow(ptr, size);
  }

  // free of anything the page map does not vouch for: a pointer or size of
  // the wrong type, a foreign or freed pointer, a wrong size (each refused
  // by name), or a live block #locate finds.
  #freeSlow(ptr: number, size: number | undefined): void {
    if (typeof ptr !== "number") checkNumber(ptr, "Pointer");
    if (size !== undefined) checkNumber(size, "Size");
    if (ptr !== 0) this.#releaseAt(this.#locate(ptr, size, "Size"));
  }

  // Pushes live block `i` of slab `s`, not the current one (`g` in the
  // tables), onto its slab's free list; the bookkeeping moves the slab when
  // it empties or stops being full.
  #releaseOther(s: number, i: number, g: number): void {
    const m = this.#meta, row = s * L_ROW;
    this.#next[g] = m[row + L_FREE_HEAD];
    m[row + L_FREE_HEAD] = i;
    const used = m[row + L_USED] - 1;
    m[row + L_USED] = used;
    this.#others--;
    if (used === 0 || used === this.blocksPerSlab - 1) {
      this.#slabs.changed(s, used);
    }
  }

  // Frees the live block that #locate found (`g` in the tables).
  #releaseAt(g: number): void {
    const n = this.blocksPerSlab;
    const s = Math.floor(g / n), i = g - s * n;
    if (s !== this.#cur) return this.#releaseOther(s, i, g);
    this.#releaseCurrent(i, g);
  }

  // Pushes live block `i` of the current slab (`g` in the tables).
  #releaseCurrent(i: number, g: number): void {
    this.#next[g] = this.#hot[H_HEAD];
    this.#hot[H_HEAD] = i;
    this.#hot[H_COUNT] -= 1;
    if (this.#used() === 0) this.#slabs.changed(this.#cur, 0);
  }

  // Writes the current slab's free-list head and live count back to its
  // row, for the slab bookkeeping to read.
  #flush(): void {
    const m = this.#meta, row = this.#curRow;
    if (row === 0) return;
    m[row + FREE_HEAD] = this.#hot[H_HEAD];
    m[row + USED] = this.#used();
  }

  // Refreshes the fast paths' copies from the tables; when the current slab
  // changed (the old one flushed), loads the new one's head and count.
  #sync(): void {
    const t = this.#slabs;
    this.#meta = t.meta;
    this.#next = t.next;
    this.#pages = t.map.pages;
    this.#curRow = t.cur * ROW;
    // As a small integer where it fits, so that the pointers alloc makes
    // stay int32 arithmetic (a float field makes every one a double).
    const first = t.first[t.cur];
    this.#curFirst = first <= 0x7fffffff ? first | 0 : first;
    const n = this.blocksPerSlab, base = t.cur * n;
    this.#curNext = t.cur !== 0 && !this.#revoked
      ? t.next.subarray(base, base + n)
      : new Uint16Array(0);
    const used = this.#used(), armed = t.armed ? 1 : 0;
    this.#armedOne = armed;
    this.#hot[H_COUNT] = used + armed;
    if (t.cur === this.#cur) return;
    this.#others += used;
    this.#cur = t.cur;
    this.#loadCurrent();
  }

  // The current slab's live blocks.
  #used(): number {
    return this.#hot[H_COUNT] - this.#armedOne;
  }

  // Loads the current slab's free-list head and live count from its row
  // (#others counts the blocks of the slabs that are not current).
  #loadCurrent(): void {
    const m = this.#meta, row = this.#curRow, cur = this.#cur;
    const used = cur === 0 ? 0 : m[row + USED];
    this.#hot[H_COUNT] = used + this.#armedOne;
    this.#others -= used;
    this.#hot[H_HEAD] = cur === 0 ? END : m[row + FREE_HEAD];
  }

  // Zeroes the block at `ptr` byte by byte, where its blocks are not
  // 8-byte aligned (#zeroWords is -1; alloc zeroes the others by 8-byte
  // stores of the whole stride: the padding after a block is zero too).
  #zeroBytes(ptr: number): void {
    zeroBytes(this.memory, ptr, ptr + this.blockSize);
  }

  // The live block at `ptr` (see locateBlock), after the liveness check.
  #locate(ptr: number, size: number | undefined, what: string): number {
    this.#checkLive();
    const t = this.#slabs;
    return locateBlock(
      {
        memoryBytes: this.#u8.length,
        map: t.map,
        slab: t.slab,
        first: t.first,
        next: t.next,
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

  #checkAlignment(alignment: number): void {
    checkPoolAlignment(alignment);
    if (alignment <= this.alignment) return;
    throw new RangeError(
      `Alignment ${alignment} is more than this pool's blocks have (${this.alignment}): make the pool with alignment: ${alignment}`,
    );
  }

  // ── reset, trim, validate, destroy ─────────────────────────────────────

  /**
   * Frees every live block at once, like Zig's `MemoryPool.reset` or
   * dropping an arena: for a batch of blocks that die together (a
   * short-lived tree), with no walk over them. Afterwards `blocks` and
   * `bytesUsed` are 0 and every slab is empty, handled as if its last block
   * had just been freed: the current slab stays current, the others are
   * kept for reuse and go back to the parent by the decay rule or at
   * {@linkcode Pool.trim} (`bytesReserved` does not change until then).
   *
   * Every pointer handed out before is dead: `free` of one is refused as a
   * `double-free` and changes nothing, as for any freed block. The cost is
   * a few steps per slab used since the last reset and one typed-array copy
   * of 2 bytes per block ever handed out in a slab with live blocks (it
   * rewrites the slab's free list, which clears the live marks); the
   * memory itself is not touched:
   * `alloc` zeroes every block it hands out, and `allocUnsafe` after a
   * reset returns a block's old bytes, as it does for any reused block.
   * Blocks come back in address order, slab by slab, the current slab
   * first.
   *
   * @example A short-lived tree dropped at once
   * ```ts
   * import { Pool } from "@sp/mem/pool";
   * import { BufferPages, PointerError } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 22 });
   * using pool = new Pool({ blockSize: 16, parent: pages, decayMs: Infinity });
   * const nodes = Array.from({ length: 5000 }, () => pool.alloc());
   * assert.equal(pool.slabs, 2); // 4096 blocks a slab
   * pool.reset();
   * assert.equal(pool.blocks, 0);
   * assert.equal(pool.bytesReserved, 2 * 65536); // kept for reuse
   * assert.equal(pool.trimmableBytes, 2 * 65536);
   * assert.throws(() => pool.free(nodes[7]), PointerError); // double-free
   * assert.equal(pool.alloc(), nodes[4096]); // the current slab's block 0
   * pool.validate();
   * ```
   */
  reset(): void {
    this.#checkLive();
    this.#slabs.reset();
    this.#others = 0;
    this.#loadCurrent();
  }

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
    return this.#slabs.trim();
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
    this.#flush();
    const t = this.#slabs;
    validatePool({
      memory: this.memory,
      meta: t.meta,
      first: t.first,
      slab: t.slab,
      next: t.next,
      map: t.map,
      slots: t.slots,
      cur: t.cur,
      partialHead: t.partialHead,
      emptyHead: t.emptyHead,
      emptyTail: t.emptyTail,
      blocks: this.blocks,
      slabCount: t.count,
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
   * read 0 but for `peakReserved`. Calling it again does nothing. A parent
   * that refuses a slab (a debug allocator that found its red zone written)
   * still gets every other one, and its first error is thrown after.
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
    noteEnd();
    this.#unwatch();
    // Every fast path falls through to the checks, which throw.
    // (clear() made no slab current: the count reads #armedOne, no block.)
    const slabs = this.#slabs.clear();
    this.#others = 0;
    const refusal = giveBack(
      slabs,
      (ptr) => this.#parent.free(ptr, this.slabSize),
    );
    this.#owned?.destroy();
    if (refusal !== undefined) throw refusal.error;
  }

  /** Same as {@linkcode Pool.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // Whether the parent still owns the slabs: its memory is neither revoked
  // nor detached (an empty view) and, for a parent that is no page source,
  // it does not report `destroyed` (a destroyed heap gave the slabs' pages
  // back; an arena, pool, debug allocator or scratch region reports it for
  // anything under it too, so this sees the whole chain: asked again only
  // once an end was counted, where the chain ends only so).
  #live(): boolean {
    return this.#revoked === false && this.#f64.length !== 0 &&
      (this.#askParent === false || this.#parentAlive());
  }

  #parentAlive(): boolean {
    return this.#chain.live();
  }

  /** Whether this pool's chain ends only by calls counted in ENDS. */
  get [ENDS_HERE](): boolean {
    return this.#chain.endsHere;
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError("Pool was used after destroy(): make a new one");
    }
    if (!this.#live()) {
      noteDetached(this.memory);
      throw new DestroyedError(
        `Pool was used after ${
          goneUnder(this.#parent)
        }: its slabs are gone; make a new pool on a live parent`,
      );
    }
  }
}
