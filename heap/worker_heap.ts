/**
 * {@linkcode WorkerHeap}: one heap per worker on a shared page source, where
 * any worker may free any worker's allocation.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import {
  checkNumber,
  checkOptions,
  checkPointer,
  checkRequestAlignment,
  checkSize,
  hex,
} from "../internal/checks.ts";
import { KEPT_ERRORS } from "../internal/kept_errors.ts";
import { DestroyedError, PointerError } from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import { PAGE_SIZE } from "../os/page_source.ts";
import { SharedPages } from "../os/shared_pages.ts";
import {
  ALREADY_FREED,
  GRAIN,
  ID_MASK,
  instanceState,
  MARKED,
  type SharedState,
} from "../internal/shared_state.ts";
import { MAX_SMALL, SPAN_HEADER } from "./_geometry.ts";
import { SIZE_LIMIT } from "./_heap_state.ts";
import { Heap } from "./heap.ts";

/**
 * Options for {@linkcode WorkerHeap}.
 *
 * @example
 * ```ts
 * import { WorkerHeap, type WorkerHeapOptions } from "@sp/mem/heap";
 * import { SharedPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new SharedPages({ reserve: 2 ** 22 });
 * const options: WorkerHeapOptions = { pages, decayMs: Infinity };
 * using heap = new WorkerHeap(options);
 * assert.equal(heap.id, pages.id);
 * ```
 */
export interface WorkerHeapOptions {
  /** This worker's instance of the shared page source (one heap per instance). */
  pages: SharedPages;
  /** How long empty segments are kept; see `HeapOptions.decayMs`. */
  decayMs?: number;
}

// The SharedPages instances that have a WorkerHeap: one each, as the id of
// the instance names the heap that owns its runs.
const claimed = new WeakSet<SharedPages>();

/**
 * A {@linkcode Heap} for one worker, on that worker's instance of a
 * {@linkcode SharedPages}: it allocates with no atomic operation, and any
 * worker's `WorkerHeap` on the same source may free (or resize) its
 * allocations.
 *
 * A free of another worker's allocation is a *remote free*: it sets the
 * block's bit in a shared bitmap (one `Atomics.or`, which also catches a
 * second remote free of the same block), its page's bit, and that page
 * word's bit in the owner's own summary (atomic loads when those are set
 * already, as they mostly are); a page newly marked is counted for its owner
 * last. It writes nothing into the block. The owner takes them back on its
 * next `alloc` or `resize` (one plain load of its count when there are none;
 * a call it would refuse for its sizes takes nothing back) or on
 * {@linkcode WorkerHeap.collect}, which takes back every remote free that
 * returned before it was called:
 *
 * ```
 *  worker B: free(p) ──► owners[page(p)] = A ≠ B
 *                        pending bit of p     |= 1  (already set: double free)
 *                        marked bit of page   |= 1
 *                        A's summary bit      |= 1  (of the word of marked)
 *                        waiting[A]           += 1  (only if newly marked)
 *  worker A: alloc() ──► waiting[A] ≠ 0 → A's summary → marked pages of A's →
 *                        take a page's pending bits, then heap.free(p) each
 * ```
 *
 * What a remote free can check at once — a pointer outside the memory or in
 * no heap's pages, unaligned, inside a span's header, or freed remotely
 * already and not yet collected — throws in the freeing worker and changes
 * nothing. What only the owner can tell (a pointer inside a block, a block
 * the owner had freed already, a page's first byte that starts no large
 * block: the owner's own page, a span's header) is refused when the owner
 * collects it: the owner's heap is
 * unchanged, and the refusal is counted in
 * {@linkcode WorkerHeap.refusedRemoteFrees}, kept in
 * {@linkcode WorkerHeap.remoteErrors} (the first 100) and thrown by
 * `collect()`. Remote frees do not check the size passed (it may be left out,
 * as for the own heap's blocks).
 *
 * A heap that is destroyed gives its segments back to the shared source; a
 * worker that exits without destroying its heap leaves them allocated until
 * the shared source is destroyed (its spans' bookkeeping was the worker's
 * own, so no other worker can adopt them). Once any worker destroys the
 * shared source, this heap's next alloc, and its next free of a block of its
 * own, throw a {@linkcode DestroyedError} saying so (the destroy sends them
 * to their slow paths: no check is added to the fast ones).
 *
 * @example Two workers' heaps, one memory
 * ```ts
 * import { WorkerHeap } from "@sp/mem/heap";
 * import { SharedPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new SharedPages({ reserve: 2 ** 22 });
 * using a = new WorkerHeap({ pages });
 * // In another worker: SharedPages.attach(handle) from postMessage.
 * using b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
 * const p = a.alloc(24);
 * b.memory.f64[p / 8] = 1.5; // the same memory
 * b.free(p, 24); // a remote free: a's count waits for a
 * assert.equal(a.bytesUsed, 32);
 * assert.equal(a.collect(), 1);
 * assert.equal(a.bytesUsed, 0);
 * ```
 */
export class WorkerHeap implements Allocator, Disposable {
  /** The shared memory. */
  readonly memory: Memory;
  /** The heap that holds this worker's allocations. */
  readonly heap: Heap;
  /** This heap's id: its page source instance's. */
  readonly id: number;
  #pages: SharedPages;
  #state: SharedState;
  #owners: Int32Array;
  #waiting: Int32Array;
  #errors: PointerError[] = [];
  // A frozen copy of #errors for remoteErrors, made again after a refusal.
  #errorsView: readonly PointerError[] | null = null;
  #refused = 0;
  // The first refusal of the running collect, for collect() to throw (the
  // kept list may be full).
  #firstRefused: PointerError | undefined;
  #failure: unknown;

  /**
   * Makes this worker's heap on its instance of the shared source.
   *
   * @param options The instance, and how long empty segments are kept.
   */
  constructor(options: WorkerHeapOptions) {
    checkOptions(options, "WorkerHeap", "{ pages }", ["pages", "decayMs"]);
    const pages = options.pages;
    if (!(pages instanceof SharedPages)) {
      throw new TypeError(
        "Pages must be a SharedPages (this worker's: new SharedPages() or SharedPages.attach(handle))",
      );
    }
    if (claimed.has(pages)) {
      throw new RangeError(
        `SharedPages instance ${pages.id} has a WorkerHeap already: attach another instance for another heap`,
      );
    }
    this.heap = new Heap({ pages, decayMs: options.decayMs });
    claimed.add(pages);
    this.#pages = pages;
    this.memory = pages.memory;
    this.id = pages.id;
    // The instance's own view: the remote frees its page hand-backs drop
    // are kept there for this heap's collect.
    this.#state = instanceState.get(pages)!;
    this.#owners = this.#state.owners;
    this.#state.setHeap(this.id, true);
    this.#waiting = this.#state.waiting;
  }

  /** Bytes in live allocations of this heap (remote frees count once collected). */
  get bytesUsed(): number {
    return this.heap.bytesUsed;
  }

  /** Bytes this heap holds from the shared source. */
  get bytesReserved(): number {
    return this.heap.bytesReserved;
  }

  /** The most {@linkcode WorkerHeap.bytesReserved} has been. */
  get peakReserved(): number {
    return this.heap.peakReserved;
  }

  /**
   * Remote frees of this heap's blocks waiting to be collected (counted in
   * the shared bitmaps: for tests and diagnostics, not a fast path).
   */
  get waitingFrees(): number {
    return this.#state.waitingFor(this.id);
  }

  /**
   * The first 100 remote frees that the heap refused when it collected them
   * (a pointer inside a block, a block freed already), oldest first: nothing
   * was changed for them. Later refusals are only counted, in
   * {@linkcode WorkerHeap.refusedRemoteFrees}, so that one buggy free site
   * in a long-running program does not keep an error per call. A frozen
   * copy (the same one until the next refusal): the caller cannot change
   * the record.
   */
  get remoteErrors(): readonly PointerError[] {
    return this.#errorsView ??= Object.freeze(this.#errors.slice());
  }

  /**
   * How many remote frees the heap refused in all (the first 100 are in
   * {@linkcode WorkerHeap.remoteErrors}).
   *
   * @example A free inside a block, refused when the owner collects it
   * ```ts
   * import { WorkerHeap } from "@sp/mem/heap";
   * import { PointerError, SharedPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new SharedPages({ reserve: 2 ** 22 });
   * using a = new WorkerHeap({ pages });
   * using b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
   * const p = a.alloc(64);
   * for (let i = 0; i < 150; i++) {
   *   b.free(p + 16); // an interior pointer: only the owner can tell
   *   assert.throws(() => a.collect(), PointerError);
   * }
   * assert.equal(a.refusedRemoteFrees, 150);
   * assert.equal(a.remoteErrors.length, 100); // the first 100 are kept
   * assert.equal(a.remoteErrors[0].reason, "interior");
   * assert.equal(a.bytesUsed, 64); // nothing was freed
   * a.free(p, 64);
   * ```
   */
  get refusedRemoteFrees(): number {
    return this.#refused;
  }

  /** Whether {@linkcode WorkerHeap.destroy} has been called. */
  get destroyed(): boolean {
    return this.heap.destroyed;
  }

  /**
   * Allocates `size` zero-filled bytes from this worker's heap, after taking
   * back the remote frees waiting for it.
   *
   * @param size The number of bytes.
   * @param alignment As for {@linkcode Heap.alloc}: up to 65536.
   * @returns A non-null pointer.
   */
  alloc(size: number, alignment?: number): number {
    if (alignment !== undefined) checkRequestAlignment(alignment);
    if (this.#waiting[this.id] !== 0 && !this.heap.destroyed) {
      this.#collectFor(size);
    }
    return this.heap.alloc(size, alignment);
  }

  /**
   * Allocates `size` bytes that may still hold old bytes
   * ({@linkcode Heap.allocUnsafe}), first collecting the blocks other
   * workers freed, as {@linkcode WorkerHeap.alloc} does.
   *
   * @example
   * ```ts
   * import { WorkerHeap } from "@sp/mem/heap";
   * import { SharedPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new SharedPages({ reserve: 2 ** 22 });
   * using heap = new WorkerHeap({ pages });
   * const p = heap.allocUnsafe(100);
   * heap.memory.u8.fill(1, p, p + 100); // written whole at once
   * assert.equal(heap.bytesUsed, 128);
   * heap.free(p, 100);
   * ```
   *
   * @param size The number of bytes.
   * @param alignment As for {@linkcode Heap.alloc}: up to 65536.
   * @returns A non-null pointer.
   */
  allocUnsafe(size: number, alignment?: number): number {
    if (alignment !== undefined) checkRequestAlignment(alignment);
    if (this.#waiting[this.id] !== 0 && !this.heap.destroyed) {
      this.#collectFor(size);
    }
    return this.heap.allocUnsafe(size, alignment);
  }

  /**
   * Frees an allocation of any worker's heap on the shared source: this
   * heap's at once, another's by a remote free.
   *
   * @param ptr The allocation, or 0 to do nothing.
   * @param size The size it was allocated with, if known (checked for this
   *   heap's blocks, as {@linkcode Heap.free} checks it; may be left out for
   *   any worker's, as for Heap.free).
   */
  free(ptr: number, size?: number): void {
    const word = this.#ownerOf(ptr);
    if (word === undefined || (word & ID_MASK) === this.id || ptr === 0) {
      this.heap.free(ptr, size);
    } else {
      this.#remoteFree(ptr, size, word);
    }
  }

  /**
   * The bytes the live allocation at `ptr`, one of this worker's own, can
   * hold ({@linkcode Heap.usableSize}); only the owner knows a block, so a
   * block of another worker's heap is refused as foreign.
   *
   * @example
   * ```ts
   * import { WorkerHeap } from "@sp/mem/heap";
   * import { SharedPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new SharedPages({ reserve: 2 ** 22 });
   * using heap = new WorkerHeap({ pages });
   * assert.equal(heap.usableSize(heap.alloc(100)), 128);
   * ```
   *
   * @param ptr A live allocation of this heap.
   * @returns Its usable bytes.
   */
  usableSize(ptr: number): number {
    return this.heap.usableSize(ptr);
  }

  /**
   * Resizes an allocation of any worker's heap: this heap's in place where
   * it can, after taking back the remote frees waiting for it; another's by
   * moving it into this heap (a remote free of the old block).
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated (or last resized) with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment As for {@linkcode Heap.alloc}: up to 65536.
   * @returns The new pointer, or 0 if freed.
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    if (alignment !== undefined) checkRequestAlignment(alignment);
    const word = this.#ownerOf(ptr);
    if (word === undefined || (word & ID_MASK) === this.id || ptr === 0) {
      // Collected first, as alloc does: a block freed both remotely and by
      // this heap is refused then, before a move could reuse its chunk
      // (collected later, the remote free would free the moved block).
      if (this.#waiting[this.id] !== 0 && !this.heap.destroyed) {
        this.#collectFor(newSize, "New size", ptr, oldSize);
      } else if (!this.heap.destroyed) {
        // As the waiting case says it (the heap would say "Size").
        this.#checkSize(newSize, "New size");
      }
      return this.heap.resize(ptr, oldSize, newSize, alignment);
    }
    checkSize(newSize, Number.MAX_SAFE_INTEGER, "New size");
    const owner = word & ID_MASK;
    this.#checkRemote(ptr, oldSize, owner, "Old size");
    const moved = newSize === 0 ? 0 : this.alloc(newSize, alignment);
    if (moved !== 0) {
      try {
        this.memory.copy(
          moved,
          ptr,
          Math.min(oldSize, newSize, this.#remoteRoom(ptr, owner)),
        );
      } catch (e) {
        this.heap.free(moved, newSize);
        throw e;
      }
    }
    try {
      this.#remoteFree(ptr, oldSize, word);
    } catch (e) {
      if (moved !== 0) this.heap.free(moved, newSize);
      throw e;
    }
    return moved;
  }

  /**
   * Takes back every remote free waiting for this heap now; its counters are
   * exact afterwards. Throws the first free this call refused, after taking
   * back the rest (each refusal is counted in
   * {@linkcode WorkerHeap.refusedRemoteFrees}; the first 100 of all are kept
   * in {@linkcode WorkerHeap.remoteErrors}).
   *
   * @returns How many allocations were taken back.
   */
  collect(): number {
    if (this.heap.destroyed) {
      throw new DestroyedError(
        "Worker heap was used after destroy(): make a new one",
      );
    }
    const freed = this.#collect();
    const refused = this.#firstRefused;
    this.#firstRefused = undefined;
    if (refused !== undefined) throw refused;
    return freed;
  }

  /**
   * Checks every invariant of this heap (see `Heap.validate`); call it when
   * no other worker is freeing into it, after {@linkcode WorkerHeap.collect}.
   */
  validate(): void {
    const waiting = this.waitingFrees;
    if (waiting !== 0) {
      throw new Error(
        `Heap ${this.id} has ${waiting} remote frees waiting: collect() first`,
      );
    }
    this.heap.validate();
  }

  /**
   * Takes back the waiting remote frees, then destroys the heap: its
   * segments go back to the shared source, and later remote frees of its
   * blocks are refused as foreign.
   */
  destroy(): void {
    if (this.heap.destroyed) return;
    if (!this.#pages.destroyed) this.#collect();
    this.heap.destroy();
    this.#state.setHeap(this.id, false);
    this.#state.dropped.length = 0;
    claimed.delete(this.#pages); // a new heap may take the instance
  }

  /** Same as {@linkcode WorkerHeap.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // The owners word of the page of `ptr`: the id of the instance whose run
  // it is in (0: none) in the bits of ID_MASK, or undefined outside the
  // memory — and for a pointer that is no number, which the heap refuses
  // (checked here: `/` would throw on a bigint).
  #ownerOf(ptr: number): number | undefined {
    if (typeof ptr !== "number") checkNumber(ptr, "Pointer");
    return this.#owners[Math.floor(ptr / PAGE_SIZE)];
  }

  // What a remote free can check without the owner's bookkeeping.
  // The most bytes a block of `owner`'s at `ptr` can hold, from what the
  // shared state says: the owner's tables, which know its size, are its
  // own, so a remote resize cannot check `oldSize` — but it never copies
  // past the block's room (a chunk lies in its page and is at most 2016
  // bytes; a large block in pages all `owner`'s), so a wrong size cannot
  // carry another block's bytes far.
  #remoteRoom(ptr: number, owner: number): number {
    const offset = ptr % PAGE_SIZE;
    if (offset !== 0) return Math.min(MAX_SMALL, PAGE_SIZE - offset);
    let page = ptr / PAGE_SIZE;
    while ((this.#owners[page] & ID_MASK) === owner) page++;
    return page * PAGE_SIZE - ptr;
  }

  #checkRemote(
    ptr: number,
    size: number,
    owner: number,
    what = "Size",
  ): void {
    if (!this.heap.destroyed && this.#state.destroyed) {
      throw this.#destroyedElsewhere();
    }
    if (this.heap.destroyed || this.#pages.destroyed) {
      throw new DestroyedError(
        "Worker heap was used after destroy() (its own, or its shared page source's): make a new one",
      );
    }
    checkPointer(ptr);
    checkSize(size, Number.MAX_SAFE_INTEGER, what);
    if (owner === 0) {
      throw new PointerError(
        `Pointer ${
          hex(ptr)
        } is in no worker heap's pages (never allocated, or its heap gave them back)`,
        ptr,
        "foreign",
      );
    }
    if (!this.#state.hasHeap(owner)) {
      throw new PointerError(
        `Pointer ${
          hex(ptr)
        } is in a run of SharedPages instance ${owner}, which has no worker heap: free it with that instance`,
        ptr,
        "foreign",
      );
    }
    if (ptr % GRAIN !== 0) {
      throw new PointerError(
        `Pointer ${
          hex(ptr)
        } is not a multiple of ${GRAIN}, so it is no allocation`,
        ptr,
        "unaligned",
      );
    }
    if (ptr % PAGE_SIZE !== 0 && ptr % PAGE_SIZE < SPAN_HEADER) {
      throw new PointerError(
        `Pointer ${hex(ptr)} is in a page header of worker heap ${owner}`,
        ptr,
        "interior",
      );
    }
  }

  // The shared source was destroyed, and this heap learns it now (on a slow
  // path: an alloc that collects, a free that finds no owner): its instance
  // follows (its memory is revoked, so the heap refuses every call from
  // now on), and the call is refused. Who destroyed it is the shared
  // state's record, as for the instance: a direct call on the instance may
  // have followed the destroy first.
  #destroyedElsewhere(): DestroyedError {
    const pages = this.#pages;
    if (!pages.memory.destroyed) pages.destroy();
    return new DestroyedError(
      this.#state.destroyer === this.id
        ? "Worker heap was used after destroy() of its shared page source: make a new one"
        : "Worker heap was used after destroy() of its shared page source by another instance on its handle (in this or another worker): make a new one",
    );
  }

  // The remote free: one bit in the shared bitmaps for the owner to
  // collect (SharedState.markFreed); nothing is written into the block.
  // (The size is only checked to be one: the owner alone knows the block.)
  #remoteFree(ptr: number, size: number | undefined, word: number): void {
    const state = this.#state, owner = word & ID_MASK;
    // The common case in one test; anything odd goes through every check.
    if (
      !(owner !== 0 && state.hasHeap(owner) && ptr % GRAIN === 0 &&
        (ptr % PAGE_SIZE >= SPAN_HEADER || ptr % PAGE_SIZE === 0) &&
        (size === undefined ||
          typeof size === "number" && size >>> 0 === size) &&
        !state.destroyed && !this.heap.destroyed)
    ) this.#checkRemote(ptr, size === undefined ? 0 : size, owner);
    const marked = state.markFreed(ptr, word);
    if (marked !== MARKED) {
      throw new PointerError(
        marked === ALREADY_FREED
          ? `Pointer ${
            hex(ptr)
          } was freed already by a worker: double free (worker heap ${owner} has not collected it yet)`
          : `Pointer ${
            hex(ptr)
          } is in no worker heap's pages: worker heap ${owner} gave them back while this free was made (it freed the block itself, or was destroyed)`,
        ptr,
        marked === ALREADY_FREED ? "double-free" : "foreign",
      );
    }
  }

  // Throws unless the heap could hold `size`, with the heap's message.
  #checkSize(size: number, what = "Size"): void {
    checkSize(size, this.heap.maxSize, what, SIZE_LIMIT);
  }

  // #collect for a call that takes `size` bytes (and resizes `ptr`, if not
  // 0, from `oldSize`): a call the heap would refuse for its numbers is
  // refused first, so that it changes nothing; a destroyed source is said
  // first, as the heap would. Whether `ptr` is a live block is the heap's
  // to say once collected (collecting may free it).
  #collectFor(size: number, what = "Size", ptr = 0, oldSize = 0): void {
    if (this.#state.destroyed) throw this.#destroyedElsewhere();
    this.#checkSize(size, what);
    if (ptr !== 0) {
      checkSize(oldSize, Number.MAX_SAFE_INTEGER, "Old size");
      checkPointer(ptr);
    }
    this.#collect();
  }

  // Frees every remote free of this heap's blocks marked so far. An error
  // other than a refusal (the heap found itself damaged) is thrown once every
  // block has been looked at, so that none is dropped.
  #collect(): number {
    if (this.#state.destroyed) throw this.#destroyedElsewhere();
    this.#firstRefused = undefined;
    const freed = this.#state.collect(this.id, this.#takeBack);
    if (this.#state.dropped.length !== 0) this.#refuseDropped();
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      throw failure;
    }
    return freed;
  }

  // Refuses the remote frees that this heap's own frees dropped: it freed
  // the memory they name (a large block, a span) before collecting them, and
  // its pages went back to the shared source, clearing their bits.
  #refuseDropped(): void {
    const dropped = this.#state.dropped;
    for (let i = 0; i < dropped.length; i += 2) {
      const ptr = dropped[i];
      this.#refuse(
        dropped[i + 1] === 1
          ? new PointerError(
            `A free of ${
              hex(ptr)
            } by another worker was refused: this heap freed that block itself before collecting the free (a double free)`,
            ptr,
            "double-free",
          )
          : new PointerError(
            `A free of ${
              hex(ptr)
            } by another worker was refused: it is inside memory this heap freed itself before collecting the free (its pages went back to the shared source), so it is no allocation of this heap`,
            ptr,
            "foreign",
          ),
      );
    }
    dropped.length = 0;
  }

  // Counts a refused remote free, and keeps it while fewer than KEPT_ERRORS
  // are kept.
  #refuse(error: PointerError): void {
    this.#refused++;
    this.#firstRefused ??= error;
    if (this.#errors.length < KEPT_ERRORS) {
      this.#errors.push(error);
      this.#errorsView = null;
    }
  }

  // Frees a block freed remotely; a refusal is recorded, not thrown.
  #takeBack = (ptr: number): number => {
    try {
      this.heap.free(ptr);
      return 1;
    } catch (e) {
      if (!(e instanceof PointerError)) {
        this.#failure ??= e;
        return 0;
      }
      this.#refuse(
        new PointerError(
          `A free of ${hex(ptr)} by another worker was refused: ${e.message}`,
          ptr,
          e.reason,
        ),
      );
      return 0;
    }
  };
}
