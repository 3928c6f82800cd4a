/**
 * {@linkcode SharedPages}: pages in a `SharedArrayBuffer` that every worker
 * can allocate from and free to.
 *
 * @module
 */
import { PAGE_SOURCE_OPTIONS } from "./page_source_options.ts";
import { DestroyedError, PointerError } from "./errors.ts";
import { Memory } from "./memory.ts";
import { reservePages } from "../internal/options.ts";
import { PageRuns } from "./_page_runs.ts";
import { allocateRange, pagesFor } from "../internal/pages.ts";
import {
  PAGE_SIZE,
  PageSource,
  type PageSourceOptions,
} from "./page_source.ts";
import { revokeMemory } from "../internal/revoke.ts";
import { checkNumber, checkOptions, hex } from "../internal/checks.ts";
import { storageBytes } from "./_run_layout.ts";
import {
  ID_MASK,
  instanceState,
  MAX_IDS,
  SharedState,
  sharedStateBytes,
} from "../internal/shared_state.ts";

/**
 * The default reservation of {@linkcode SharedPages}: 256 MiB (engines
 * commit a `SharedArrayBuffer` as it is touched).
 *
 * @example
 * ```ts
 * import { DEFAULT_SHARED_RESERVE, SharedPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new SharedPages();
 * assert.equal(pages.reservedBytes, DEFAULT_SHARED_RESERVE);
 * ```
 */
export const DEFAULT_SHARED_RESERVE = 2 ** 28;

/**
 * What a worker needs to attach to a {@linkcode SharedPages}: three
 * `SharedArrayBuffer`s, which `postMessage` shares rather than copies.
 *
 * @example
 * ```ts
 * import { SharedPages, type SharedPagesHandle } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new SharedPages({ reserve: 2 ** 20 });
 * const handle: SharedPagesHandle = structuredClone(pages.handle); // as postMessage does
 * const there = SharedPages.attach(handle);
 * const p = there.alloc(4096);
 * assert.equal(pages.liveBytes, 4096); // one state, seen from both
 * pages.free(p, 4096);
 * assert.equal(there.liveBytes, 0);
 * ```
 */
export interface SharedPagesHandle {
  /** The pages. */
  readonly memory: SharedArrayBuffer;
  /** The run bookkeeping. */
  readonly runs: SharedArrayBuffer;
  /**
   * The lock, the destroyed flag, which worker owns each page, and the frees
   * waiting for each worker's heap.
   */
  readonly state: SharedArrayBuffer;
}

/**
 * A page source over one `SharedArrayBuffer`, whose run bookkeeping lives in
 * shared memory too, so that every worker that attaches to it
 * ({@linkcode SharedPages.attach}, from the {@linkcode SharedPages.handle}
 * posted to it) allocates from and frees to the same runs: a run allocated
 * in one worker may be freed in another.
 *
 * ```
 *  handle.memory  [ page 0 | runs of pages, any worker's …          ]
 *  handle.runs    [ counters, bins | per-page run tables (PageRuns)  ]
 *  handle.state   [ lock | destroyed | ids | owner of each page | remote frees ]
 * ```
 *
 * Every call takes a lock (a word of `handle.state`: one compare-and-swap
 * when uncontended; a waiter sleeps in `Atomics.wait`, or spins where the
 * thread may not block), so the bookkeeping changes in one worker at a time.
 * The memory itself is not locked: what a worker writes into its runs is its
 * own affair (use `Atomics` on shared records).
 *
 * Like {@linkcode BufferPages} it cannot give memory back: freed pages are
 * zeroed when reused and `decayMs` defaults to `Infinity`. Decay times use
 * `performance.timeOrigin + performance.now()`, which every worker agrees
 * on. {@linkcode SharedPages.destroy} in any worker destroys it for all:
 * every instance refuses calls afterwards (the memory is garbage once no
 * worker holds it).
 *
 * @example Two instances, one state
 * ```ts
 * import { SharedPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new SharedPages({ reserve: 2 ** 20 });
 * const other = SharedPages.attach(pages.handle); // in a worker, from postMessage
 * const p = pages.alloc(8192);
 * other.memory.u8[p] = 7; // the same bytes
 * assert.equal(pages.memory.u8[p], 7);
 * other.free(p, 8192); // freed by the other
 * assert.equal(pages.liveRuns, 0);
 * ```
 */
export class SharedPages extends PageSource {
  /** Always `"shared"`. */
  readonly kind = "shared";
  /** What another worker needs to attach: post it to the worker. */
  readonly handle: SharedPagesHandle;
  /**
   * This instance's id, 1 or more, different in every instance on the
   * handle: the runs it allocates are marked as this id's
   * ({@linkcode SharedPages.ownerOf}).
   */
  readonly id: number;
  #state: SharedState;
  #depth = 0;
  #closed = false;

  /**
   * Makes the shared buffers.
   *
   * @param options The reservation, and how freed pages are kept.
   */
  constructor(options: PageSourceOptions = {}) {
    checkOptions(options, "SharedPages", "{ reserve }", PAGE_SOURCE_OPTIONS);
    const handle = (options as AttachOptions)[ATTACH] ?? makeHandle(options);
    super(
      new Memory(handle.memory as unknown as ArrayBuffer),
      {
        ...options,
        decayMs: options.decayMs ?? Infinity,
        clock: options.clock ?? sharedClock,
      },
      { first: PAGE_SIZE, end: handle.memory.byteLength, runs: handle.runs },
    );
    this.handle = handle;
    const state = new SharedState(handle.state, this.reservedBytes / PAGE_SIZE);
    const id = state.nextId();
    if (id === -1) {
      throw new RangeError(
        `Too many instances on one SharedPages handle (at most ${
          MAX_IDS - 1
        }): attach once per worker, and close() the instance of a worker that is done`,
      );
    }
    state.self = id;
    instanceState.set(this, state);
    this.#state = state;
    this.id = id;
  }

  /**
   * A page source on the runs of another worker's {@linkcode SharedPages}.
   *
   * @param handle The other's {@linkcode SharedPages.handle}, as posted.
   * @param options How this worker keeps freed pages (its clock, decay).
   * @returns This worker's instance.
   */
  static attach(
    handle: SharedPagesHandle,
    options: Omit<PageSourceOptions, "reserve"> = {},
  ): SharedPages {
    checkShared();
    const buffers = [handle?.memory, handle?.runs, handle?.state];
    if (!buffers.every((b) => b instanceof SharedArrayBuffer)) {
      throw new TypeError(
        "Handle must be a SharedPages handle: { memory, runs, state } SharedArrayBuffers, as SharedPages.handle gives",
      );
    }
    checkHandleSizes(handle);
    // The handle sets the reservation: a `reserve` here would be ignored.
    checkOptions(
      options,
      "SharedPages.attach",
      "{ decayMs }",
      PAGE_SOURCE_OPTIONS.filter((key) => key !== "reserve"),
    );
    const attach: AttachOptions = { ...options, [ATTACH]: handle };
    return new SharedPages(attach);
  }

  /**
   * The id of the instance whose run the byte at `ptr` is in, or 0 if it is
   * in no live run (or outside the memory). A `ptr` that is no number is
   * a TypeError.
   *
   * @param ptr Any byte.
   * @returns The owner's {@linkcode SharedPages.id}, or 0.
   */
  ownerOf(ptr: number): number {
    checkNumber(ptr, "Pointer");
    return (this.#state.owners[Math.floor(ptr / PAGE_SIZE)] ?? 0) & ID_MASK;
  }

  /** Whether any worker destroyed it. */
  override get destroyed(): boolean {
    return super.destroyed || this.#state.destroyed;
  }

  /**
   * Allocates a zero-filled run (under the lock).
   *
   * @param size Bytes wanted.
   * @param alignment A power of two from 1 to 65536.
   * @returns The run's first byte.
   */
  override alloc(size: number, alignment?: number): number {
    this.#enter();
    try {
      return super.alloc(size, alignment);
    } finally {
      this.#leave();
    }
  }

  /**
   * Allocates a run without zeroing reused pages (under the lock).
   *
   * @param size Bytes wanted.
   * @param alignment A power of two from 1 to 65536.
   * @returns The run's first byte.
   */
  override allocDirty(size: number, alignment?: number): number {
    this.#enter();
    try {
      const ptr = super.allocDirty(size, alignment);
      this.#state.own(ptr / PAGE_SIZE, pagesFor(size), this.id);
      return ptr;
    } finally {
      this.#leave();
    }
  }

  /**
   * Resizes a run, in place or moved (under the lock), wherever it was
   * allocated; a run of another instance that has a WorkerHeap is refused
   * (as {@linkcode SharedPages.free} says).
   *
   * @param ptr The run.
   * @param oldSize Its size.
   * @param newSize The size wanted; 0 frees.
   * @param alignment A power of two from 1 to 65536.
   * @returns The run's first byte, or 0 if freed.
   */
  override resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    return this.#locked(() => {
      if (ptr !== 0) this.#checkNotHeaps(ptr);
      const moved = super.resize(ptr, oldSize, newSize, alignment);
      if (ptr !== 0) this.#state.own(ptr / PAGE_SIZE, pagesFor(oldSize), 0);
      if (moved !== 0) this.#own(moved, this.id);
      return moved;
    });
  }

  /**
   * Grows a run in place if it can (under the lock); a run of another
   * instance that has a WorkerHeap is refused (as
   * {@linkcode SharedPages.free} says).
   *
   * @param ptr The run.
   * @param oldSize Its size.
   * @param newSize The size wanted.
   * @returns Whether it grew.
   */
  override extend(ptr: number, oldSize: number, newSize: number): boolean {
    return this.#locked(() => {
      this.#checkNotHeaps(ptr);
      const grew = super.extend(ptr, oldSize, newSize);
      if (grew) this.#own(ptr, this.ownerOf(ptr));
      return grew;
    });
  }

  /**
   * Frees a run (under the lock), whichever worker allocated it, unless it
   * is a run of another instance that has a WorkerHeap: the heap's blocks
   * are in those runs, and the heap alone knows which are live, so a
   * {@linkcode PointerError} (reason `"foreign"`) refuses it and nothing
   * changes (free the block through that heap, or from another worker with
   * a WorkerHeap's remote free). The runs of an instance without a heap may
   * be freed through any instance.
   *
   * @example A plain run, freed by another instance; a heap's, refused
   * ```ts
   * import { PointerError, SharedPages } from "@sp/mem/os";
   * import { WorkerHeap } from "@sp/mem/heap";
   * import assert from "node:assert/strict";
   *
   * using pages = new SharedPages({ reserve: 2 ** 22 });
   * const other = SharedPages.attach(pages.handle); // in a worker
   * pages.free(other.alloc(4096), 4096);
   * using heap = new WorkerHeap({ pages: other });
   * const big = heap.alloc(100000); // a run of other's
   * assert.throws(
   *   () => pages.free(big, 100000),
   *   (e) => e instanceof PointerError && e.reason === "foreign",
   * );
   * heap.free(big, 100000);
   * ```
   *
   * @param ptr The run.
   * @param size Its size.
   */
  override free(ptr: number, size: number): void {
    if (ptr === 0) return;
    this.#enter();
    try {
      this.#checkNotHeaps(ptr);
      super.free(ptr, size);
      this.#state.own(ptr / PAGE_SIZE, pagesFor(size), 0);
    } finally {
      this.#leave();
    }
  }

  /**
   * Frees a run and gives its pages back at once (under the lock); a run of
   * another instance that has a WorkerHeap is refused (as
   * {@linkcode SharedPages.free} says).
   *
   * @param ptr The run.
   * @param size Its size.
   */
  override discard(ptr: number, size: number): void {
    // As free: 0 does nothing, even after a destroy (and marks no pages).
    if (ptr === 0) return;
    this.#locked(() => {
      this.#checkNotHeaps(ptr);
      super.discard(ptr, size);
      this.#state.own(ptr / PAGE_SIZE, pagesFor(size), 0);
    });
  }

  /**
   * The size of a live run (under the lock).
   *
   * @param ptr The run.
   * @returns Its size in bytes.
   */
  override runSize(ptr: number): number {
    return this.#locked(() => super.runSize(ptr));
  }

  /** Zeroes every freed page kept for reuse (under the lock). */
  override purge(): void {
    this.#locked(() => super.purge());
  }

  /**
   * Zeroes the freed pages idle longer than the decay time (under the lock).
   *
   * @returns The bytes zeroed.
   */
  override decay(): number {
    return this.#locked(() => super.decay());
  }

  /**
   * Destroys it for every worker: every instance refuses calls afterwards,
   * with a {@linkcode DestroyedError} that says it was destroyed by another
   * instance, and is destroyed in its turn by the first one it refuses
   * (its memory is revoked then, so the heaps and arenas on it refuse
   * theirs too; a WorkerHeap refuses its next alloc, and its next free of a
   * block of its own). This instance's memory helpers throw; the views
   * stay (a `SharedArrayBuffer` cannot be detached).
   *
   * @example Destroyed in one worker, refused in another
   * ```ts
   * import { DestroyedError, SharedPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * const pages = new SharedPages({ reserve: 2 ** 20 });
   * const other = SharedPages.attach(pages.handle); // in a worker, from postMessage
   * pages.destroy();
   * assert.throws(
   *   () => other.alloc(4096),
   *   (e) => e instanceof DestroyedError && /by another instance/.test(e.message),
   * );
   * assert.equal(other.memory.destroyed, true); // followed it
   * ```
   */
  override destroy(): void {
    if (super.destroyed) return;
    const state = this.#state;
    if (!state.destroyed) state.markDestroyed(this.id);
    super.destroy();
  }

  /**
   * Leaves the shared source without destroying it, for a worker that is
   * done: its id goes back for the next instance to attach (there are
   * 1,023 of them, so a program that starts a worker per task must close
   * each), and this instance refuses every later call with
   * a {@linkcode DestroyedError}. It must own no runs and have no live
   * WorkerHeap (destroy the heap first: that gives its segments back); else
   * a RangeError, and nothing changes. After a destroy (anywhere), or a
   * second time, it does nothing.
   *
   * An instance with a finite `decayMs` first purges (zeroes) every freed
   * page kept in the shared runs, its own frees' and the others': its decay
   * timer ends with it, and the other instances arm theirs only on their own
   * calls, so pages it left kept would stay kept while they are idle. The
   * recent ones go back early, but giving shared pages back is zeroing them,
   * which their reuse would do anyway. (An instance with no decay leaves
   * them kept, as it would have.)
   *
   * @example A worker's instance, closed when its work is done
   * ```ts
   * import { SharedPages } from "@sp/mem/os";
   * import { WorkerHeap } from "@sp/mem/heap";
   * import assert from "node:assert/strict";
   *
   * using pages = new SharedPages({ reserve: 2 ** 22 });
   * const mine = SharedPages.attach(pages.handle); // in a worker
   * const heap = new WorkerHeap({ pages: mine });
   * heap.free(heap.alloc(64), 64);
   * heap.destroy();
   * mine.close();
   * assert.equal(SharedPages.attach(pages.handle).id, mine.id); // taken again
   * ```
   */
  close(): void {
    if (super.destroyed || this.#state.destroyed) return;
    try {
      this.#locked(() => this.#release());
    } catch (e) {
      // Destroyed elsewhere while it waited for the lock: nothing to do
      // (the refusal has destroyed this instance on the way).
      if (e instanceof DestroyedError && this.#state.destroyed) return;
      throw e;
    }
    this.#closed = true;
    super.destroy(); // this instance's own: its memory revoked, its timer stopped
  }

  // close()'s part under the lock: its checks, the kept pages purged if it
  // decays them (its timer would have given them back), then the id given
  // back.
  #release(): void {
    const state = this.#state, id = this.id;
    if (state.hasHeap(id)) {
      throw new RangeError(
        `SharedPages instance ${id} has a WorkerHeap: destroy it before close()`,
      );
    }
    const pages = state.pagesOwnedBy(id);
    if (pages !== 0) {
      throw new RangeError(
        `SharedPages instance ${id} still owns ${
          pages * PAGE_SIZE
        } bytes of runs: free them before close() (no one could free them after)`,
      );
    }
    if (this.decayMs !== Infinity && this.retainedBytes !== 0) super.purge();
    state.releaseId(id);
  }

  /** Marks this instance's memory destroyed (it cannot be detached). */
  protected override detach(): void {
    revokeMemory(this.memory);
  }

  /** Nothing to unmap: the buffers are garbage once no worker holds them. */
  protected unmap(): void {}

  // Throws (under the lock) if the page of `ptr` is in a run of another
  // instance that has a WorkerHeap: freeing, moving or growing it behind the
  // heap's back would hand out its live blocks again, and the heap would
  // count them for ever. (Anything else, a pointer that is no number too,
  // is for the page source's own checks.)
  #checkNotHeaps(ptr: number): void {
    const state = this.#state;
    const word = typeof ptr === "number"
      ? state.owners[Math.floor(ptr / PAGE_SIZE)]
      : undefined;
    if (word === undefined) return;
    const owner = word & ID_MASK;
    if (owner === 0 || owner === this.id || !state.hasHeap(owner)) return;
    throw new PointerError(
      `Pointer ${
        hex(ptr)
      } is in a run of SharedPages instance ${owner}, which has a WorkerHeap: free it through that heap (another worker's WorkerHeap frees it remotely), not through instance ${this.id}`,
      ptr,
      "foreign",
    );
  }

  // Marks the live run at `ptr` as `id`'s (under the lock).
  #own(ptr: number, id: number): void {
    this.#state.own(ptr / PAGE_SIZE, super.runSize(ptr) / PAGE_SIZE, id);
  }

  // Runs `call` holding the lock.
  #locked<T>(call: () => T): T {
    this.#enter();
    try {
      return call();
    } finally {
      this.#leave();
    }
  }

  // Takes the lock, unless this instance holds it already (alloc calls
  // allocDirty); refuses a source that any worker destroyed, checked again
  // once the lock is held (a destroy may have come in between).
  #enter(): void {
    if (this.#closed) {
      throw new DestroyedError(
        `SharedPages instance ${this.id} was used after close(): attach again (SharedPages.attach(handle))`,
      );
    }
    if (this.#depth++ !== 0) return;
    const state = this.#state;
    if (state.destroyed) throw this.#refuse();
    if (!state.lock()) throw this.#refuse(); // destroyed while it waited
    if (state.destroyed) {
      state.unlock();
      throw this.#refuse();
    }
  }

  // The error for a call after a destroy. Destroyed elsewhere (another
  // worker's instance, or another instance on the handle), this instance
  // is destroyed here too on the way: its memory is revoked, so the heaps
  // and arenas on it refuse their next call as well.
  #refuse(): DestroyedError {
    this.#depth = 0;
    this.destroy();
    return new DestroyedError(
      this.#state.destroyer !== this.id
        ? "Shared page source was used after destroy() by another instance on its handle (in this or another worker): make a new one"
        : "Shared page source was used after destroy(): make a new one",
    );
  }

  #leave(): void {
    if (--this.#depth === 0) this.#state.unlock();
  }
}

// The constructor's private option: the handle that SharedPages.attach
// attaches to (a key no caller outside this file can name), instead of new
// buffers.
const ATTACH = Symbol("attach");
interface AttachOptions extends PageSourceOptions {
  [ATTACH]?: SharedPagesHandle;
}

// Throws unless the handle's buffers have the sizes one SharedPages makes
// for its memory's pages (makeHandle): tables of another size would hand out
// runs past the memory, or write into another source's bookkeeping.
function checkHandleSizes(handle: SharedPagesHandle): void {
  const { memory, runs, state } = handle;
  const pages = memory.byteLength / PAGE_SIZE;
  if (!Number.isInteger(pages) || pages < 2) {
    throw new RangeError(
      `Handle memory of ${memory.byteLength} bytes is not 2 or more whole pages of ${PAGE_SIZE}, so no SharedPages made it: pass SharedPages.handle as it is`,
    );
  }
  const want = [storageBytes(pages), sharedStateBytes(pages)];
  if (runs.byteLength !== want[0] || state.byteLength !== want[1]) {
    throw new RangeError(
      `Handle buffers do not belong together: memory of ${pages} pages needs runs of ${
        want[0]
      } bytes and state of ${
        want[1]
      } bytes, got ${runs.byteLength} and ${state.byteLength}: pass one SharedPages's handle whole, as SharedPages.handle gives`,
    );
  }
}

// Throws unless the runtime has SharedArrayBuffer.
function checkShared(): void {
  if (typeof SharedArrayBuffer === "undefined") {
    throw new TypeError(
      "SharedPages needs SharedArrayBuffer, which this runtime does not have: a browser page must be cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), or use BufferPages",
    );
  }
}

function makeHandle(options: PageSourceOptions): SharedPagesHandle {
  const pages = reservePages(options.reserve ?? DEFAULT_SHARED_RESERVE);
  checkShared();
  const bytes = pages * PAGE_SIZE;
  return allocateRange(bytes, "a SharedArrayBuffer", () => ({
    memory: new SharedArrayBuffer(bytes),
    runs: PageRuns.shared(pages),
    state: new SharedArrayBuffer(sharedStateBytes(pages)),
  }));
}

// Milliseconds that every worker agrees on (performance.now() starts at each
// worker's own origin).
function sharedClock(): number {
  return performance.timeOrigin + performance.now();
}
