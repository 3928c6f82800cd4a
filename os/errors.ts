/**
 * The errors that @sp/mem throws besides `RangeError` and `TypeError`.
 *
 * Every error is thrown before anything changes: the allocator that threw is
 * exactly as it was and can be used again. The one exception is a
 * {@linkcode HeapCorruptionError} from `alloc`, thrown after the heap repaired
 * the damage it found (its counters are unchanged all the same).
 *
 * @module
 */

/**
 * Thrown when an allocator has no room left for a request: the page source's
 * reservation is exhausted, or a fixed region is full. The allocator is
 * unchanged and later, smaller requests may still succeed.
 *
 * @example Catching it
 * ```ts
 * import { BufferPages, OutOfMemoryError } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * 4096 });
 * assert.throws(() => pages.alloc(16 * 4096), OutOfMemoryError);
 * assert.ok(pages.alloc(4096) > 0);
 * ```
 */
export class OutOfMemoryError extends Error {
  /** The number of bytes that could not be allocated. */
  readonly requested: number;

  /**
   * Makes the error.
   *
   * @param message What ran out and what to do about it.
   * @param requested The number of bytes that could not be allocated.
   */
  constructor(message: string, requested: number) {
    super(message);
    this.name = "OutOfMemoryError";
    this.requested = requested;
  }
}

/**
 * Why a pointer was rejected.
 *
 * - `out-of-range`: not an address inside the memory at all.
 * - `unaligned`: not aligned the way this allocator's blocks are.
 * - `interior`: inside a live allocation but not its start.
 * - `double-free`: memory that is free already (freed twice, or never
 *   allocated).
 * - `foreign`: memory that this allocator does not manage (another allocator's).
 * - `size-mismatch`: the size passed is not the size of the allocation.
 *
 * @example Telling the reasons apart
 * ```ts
 * import { BufferPages, PointerError, type PointerErrorReason } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * 4096 });
 * const p = pages.alloc(2 * 4096);
 * const reasonOf = (call: () => void): PointerErrorReason | undefined => {
 *   try {
 *     call();
 *   } catch (e) {
 *     if (e instanceof PointerError) return e.reason;
 *   }
 *   return undefined;
 * };
 * assert.equal(reasonOf(() => pages.free(p + 4096, 4096)), "interior");
 * assert.equal(reasonOf(() => pages.free(p + 1, 4096)), "unaligned");
 * assert.equal(reasonOf(() => pages.free(-4096, 4096)), "out-of-range");
 * ```
 */
export type PointerErrorReason =
  | "out-of-range"
  | "unaligned"
  | "interior"
  | "double-free"
  | "foreign"
  | "size-mismatch";

/**
 * Thrown when `free` or `resize` is given something that is not the start of a
 * live allocation of this allocator, or a size that does not match it. The
 * allocator is unchanged.
 *
 * @example Freeing twice
 * ```ts
 * import { BufferPages, PointerError } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * 4096 });
 * const p = pages.alloc(4096);
 * pages.free(p, 4096);
 * assert.throws(() => pages.free(p, 4096), (e) => e instanceof PointerError && e.reason === "double-free");
 * ```
 */
export class PointerError extends Error {
  /** The pointer that was rejected. */
  readonly ptr: number;
  /** Why it was rejected. */
  readonly reason: PointerErrorReason;

  /**
   * Makes the error.
   *
   * @param message What was wrong, naming the pointer.
   * @param ptr The pointer that was rejected.
   * @param reason Why it was rejected.
   */
  constructor(message: string, ptr: number, reason: PointerErrorReason) {
    super(message);
    this.name = "PointerError";
    this.ptr = ptr;
    this.reason = reason;
  }
}

/**
 * Thrown when an allocator or its memory is used after `destroy()`.
 *
 * @example
 * ```ts
 * import { BufferPages, DestroyedError } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const pages = new BufferPages({ reserve: 16 * 4096 });
 * pages.destroy();
 * assert.throws(() => pages.alloc(64), DestroyedError);
 * ```
 */
export class DestroyedError extends Error {
  /**
   * Makes the error.
   *
   * @param message What was used after it was destroyed.
   */
  constructor(message: string) {
    super(message);
    this.name = "DestroyedError";
  }
}

/**
 * Thrown when native memory is asked for but FFI cannot be used: not running
 * in Deno, or running without `--allow-ffi`.
 *
 * @example
 * ```ts
 * import { FfiUnavailableError, OsPages } from "@sp/mem/os";
 *
 * try {
 *   using pages = new OsPages();
 * } catch (e) {
 *   if (!(e instanceof FfiUnavailableError)) throw e;
 *   console.log(e.message); // says to run with --allow-ffi
 * }
 * ```
 */
export class FfiUnavailableError extends Error {
  /**
   * Makes the error.
   *
   * @param message Why FFI is unavailable and what to do.
   * @param options The underlying error, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FfiUnavailableError";
  }
}

/**
 * Thrown when a heap finds its own bookkeeping in memory damaged: a free
 * chunk's free-list link overwritten — by a write after free, the only way
 * memory can reach it — or, from `validate()`, any broken invariant.
 *
 * `alloc` (and a `resize` or `realloc` that moves to a small chunk) throws it
 * once for each damaged span, having repaired that span first: its free list
 * is rebuilt from the span's allocation bitmap, which lives outside the
 * memory, so no free chunk is lost and no live chunk is handed out. The call
 * allocated nothing (`repaired` is true); call it again. The damaged chunk —
 * the one whose link was overwritten — is not quarantined: it goes back on
 * the list, last, and is zeroed when it is handed out, as every reused chunk
 * is (docs/design.md#free-list-repair says why). The counters are unchanged.
 *
 * `validate()` only reports (`repaired` is false) and changes nothing: the
 * alloc that meets the damage repairs it. Where the damage is a free-list
 * link, `span`, `chunk` and `link` say where; for other broken invariants
 * (a counter, bytes that should read as zero) they are undefined and the
 * message says where. To find the code that wrote after free, run it on a
 * `DebugAllocator`.
 *
 * @example A write after free, found and repaired
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages, HeapCorruptionError } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const a = heap.alloc(16), b = heap.alloc(16);
 * heap.free(a);
 * heap.free(b); // the free list: b, then a
 * heap.memory.u32[a / 4] = 0xdead; // a bug writes into a after freeing it
 * assert.equal(heap.alloc(16), b);
 * assert.throws(
 *   () => heap.alloc(16),
 *   (e) =>
 *     e instanceof HeapCorruptionError && e.repaired &&
 *     e.span === a - 48 && e.chunk === a && e.link === 0xdead,
 * );
 * assert.equal(heap.alloc(16), a); // repaired: a again, zeroed
 * heap.validate();
 * ```
 */
export class HeapCorruptionError extends Error {
  /** The address of the damaged span, where the damage is in one. */
  readonly span: number | undefined;
  /**
   * The address of the free chunk whose link is bad, where one was read
   * (undefined when free chunks were found unreachable from the list).
   */
  readonly chunk: number | undefined;
  /** The bad link read from `chunk`: an offset in the span, as stored. */
  readonly link: number | undefined;
  /** Whether the heap repaired the damage before throwing (`alloc` does). */
  readonly repaired: boolean;

  /**
   * Makes the error.
   *
   * @param message What was found where, and what the heap did about it.
   * @param where The span, the chunk and the link, where they are known, and
   *   whether the damage was repaired (default false).
   */
  constructor(
    message: string,
    where: {
      span?: number;
      chunk?: number;
      link?: number;
      repaired?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "HeapCorruptionError";
    this.span = where.span;
    this.chunk = where.chunk;
    this.link = where.link;
    this.repaired = where.repaired ?? false;
  }
}
