/**
 * {@linkcode scratch}: temporary memory from two per-worker arenas, given
 * back by `using`.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import type { Memory } from "../os/memory.ts";
import type { PageSource } from "../os/page_source.ts";
import { defaultPages } from "../os/default_pages.ts";
import { DestroyedError } from "../os/errors.ts";
import { Arena } from "./arena.ts";
import { arenaRegions } from "./_regions.ts";
import { ENDS_HERE, endsHere, noteEnd } from "../internal/parent_chain.ts";
import { kindOf } from "../internal/checks.ts";

/**
 * Thrown when a scratch region is ended while a region begun after it on the
 * same arena is still open: ending it would pop the inner region's memory
 * from under it. Also thrown when such an outer region allocates or resizes:
 * the memory would be above the inner region's start, and go when the inner
 * region ends. Nothing changes; end the inner region first.
 *
 * @example
 * ```ts
 * import { scratch, ScratchOrderError } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * const outer = scratch();
 * const inner = scratch();
 * assert.throws(() => outer.end(), ScratchOrderError);
 * inner.end();
 * outer.end();
 * ```
 */
export class ScratchOrderError extends Error {
  /**
   * Makes the error.
   *
   * @param message Which region ended out of order and what to do.
   */
  constructor(message: string) {
    super(message);
    this.name = "ScratchOrderError";
  }
}

// The two scratch arenas of this worker (module state is per worker), made on
// first use on one shared page source, and how many regions each has open.
// A destroyed arena is made again on the next region; a destroyed page source
// too, with both arenas (they were on it), so that scratch() never stays
// broken: the user cannot make new scratch arenas.
let pages: PageSource | undefined;
const arenas: (Arena | undefined)[] = [undefined, undefined];
const depths = [0, 0];

function arenaAt(slot: number): Arena {
  const arena = arenas[slot];
  if (arena !== undefined && !arena.destroyed) return arena;
  if (pages === undefined || pages.destroyed) {
    pages = defaultPages();
    arenas[0] = arenas[1] = undefined;
    depths[0] = depths[1] = 0;
  }
  depths[slot] = 0;
  return arenas[slot] = new Arena({ parent: pages });
}

// Throws unless `slot` names one of the two scratch arenas.
function checkSlot(slot: unknown): void {
  if (slot === 0 || slot === 1) return;
  const what =
    "ScratchRegion slot must be a number, 0 or 1 (one of the two scratch arenas)";
  const hint = "begin regions with scratch(), which picks the slot";
  if (typeof slot !== "number") {
    throw new TypeError(`${what}, got ${kindOf(slot)}; ${hint}`);
  }
  throw new RangeError(
    `ScratchRegion slot must be 0 or 1 (one of the two scratch arenas), got ${slot}; ${hint}`,
  );
}

// Throws unless `conflict` is omitted or an allocator (anything with alloc(),
// whose parent chain onFirst follows).
function checkConflict(conflict: unknown): void {
  if (
    conflict === undefined ||
    (typeof conflict === "object" && conflict !== null &&
      typeof (conflict as { alloc?: unknown }).alloc === "function")
  ) return;
  const kind = typeof conflict === "object" && conflict !== null
    ? "object with no alloc method"
    : kindOf(conflict);
  throw new TypeError(
    `Scratch conflict must be an Allocator (such as a scratch region, or an allocator on one) or undefined, got ${kind}`,
  );
}

/**
 * An open region of a scratch arena, from {@linkcode scratch}: an
 * {@linkcode Allocator} whose allocations all go away when the region ends
 * ({@linkcode ScratchRegion.end}, or the end of a `using` block).
 *
 * @example Regions end in the order they began
 * ```ts
 * import { scratch, ScratchOrderError, ScratchRegion } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * const outer: ScratchRegion = scratch();
 * const inner = scratch(); // nested in the same scratch arena
 * assert.equal(inner.arena, outer.arena);
 * assert.throws(() => outer.end(), ScratchOrderError);
 * inner.end();
 * outer.end();
 * ```
 */
export class ScratchRegion implements Allocator, Disposable {
  /** The scratch arena that this region allocates from. */
  readonly arena: Arena;
  /** The memory that the region's pointers address. */
  readonly memory: Memory;
  #slot: number;
  #depth: number;
  #mark: number;
  #ended = false;

  /**
   * Begins a region; use {@linkcode scratch} instead.
   *
   * @param slot Which of the two scratch arenas: 0 or 1 (anything else
   *   throws, a TypeError for a non-number, a RangeError for another number,
   *   and begins nothing).
   */
  constructor(slot: 0 | 1) {
    checkSlot(slot);
    const arena = arenaAt(slot);
    this.#mark = arenaRegions.begin(arena);
    this.arena = arena;
    this.memory = arena.memory;
    this.#slot = slot;
    this.#depth = ++depths[slot];
  }

  /** Whether the region has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Whether the region can no longer serve: it has ended, or its scratch
   * arena was destroyed. An allocator made on the region (an
   * {@linkcode Arena}, a `Pool`, a `DebugAllocator`) reads it, and refuses
   * with a {@linkcode DestroyedError} once it is true.
   */
  get destroyed(): boolean {
    return this.#ended || this.arena.destroyed;
  }

  /** Whether the region's chain ends only by calls counted in ENDS. */
  get [ENDS_HERE](): boolean {
    return endsHere(this.arena);
  }

  /**
   * Allocates from the scratch arena (see {@linkcode Arena.alloc}). While a
   * region begun after this one on the same arena is open, throws a
   * {@linkcode ScratchOrderError} (the inner region's end would take the
   * memory).
   *
   * @param size The number of bytes.
   * @param alignment A power of two from 1 to 65536; omitted, the arena's.
   * @returns The pointer, valid until the region ends.
   */
  alloc(size: number, alignment?: number): number {
    if (this.#ended || depths[this.#slot] !== this.#depth) {
      this.#refuse("allocated");
    }
    return this.arena.alloc(size, alignment);
  }

  /**
   * Same as {@linkcode ScratchRegion.alloc}: the scratch arena's bytes past
   * its bump read as zero already (see {@linkcode Arena.allocUnsafe}).
   *
   * @param size The number of bytes.
   * @param alignment A power of two from 1 to 65536; omitted, the arena's.
   * @returns The pointer, valid until the region ends.
   */
  allocUnsafe(size: number, alignment?: number): number {
    return this.alloc(size, alignment);
  }

  /**
   * Resizes an allocation (see {@linkcode Arena.resize}); throws a
   * {@linkcode ScratchOrderError} as {@linkcode ScratchRegion.alloc} does.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated (or last resized) with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment The alignment it was allocated with, kept when it moves.
   * @returns The (possibly moved) pointer, or 0 if freed.
   */
  resize(
    ptr: number,
    oldSize: number,
    newSize: number,
    alignment?: number,
  ): number {
    if (this.#ended || depths[this.#slot] !== this.#depth) {
      this.#refuse("resized");
    }
    return this.arena.resize(ptr, oldSize, newSize, alignment);
  }

  /**
   * Frees an allocation if it is the top one (see {@linkcode Arena.free}).
   *
   * @param ptr The allocation, or 0 to do nothing.
   * @param size The size it was allocated (or last resized) with.
   */
  free(ptr: number, size: number): void {
    if (ptr === 0) return; // as every allocator: a null free does nothing
    if (this.#ended) this.#usedAfterEnd();
    this.arena.free(ptr, size);
  }

  /**
   * Ends the region: the arena pops back to where the region began, so
   * everything allocated in it is given back. Ending a region while a region
   * begun after it on the same arena is open throws a
   * {@linkcode ScratchOrderError} and changes nothing. Ending it again does
   * nothing.
   *
   * If a `pop()` or `clear()` on the scratch arena itself already discarded
   * the region's start, it throws a `RangeError` (the region's mark is gone)
   * and still counts as ended. What was allocated since then goes when the
   * enclosing region on the arena ends (rewinding to the enclosing region's
   * start now would take that region's own allocations), or at once — the
   * arena is cleared — when no region stays open on the arena.
   */
  end(): void {
    if (this.#ended) return;
    const open = depths[this.#slot];
    if (open !== this.#depth || this.arena.destroyed) {
      if (this.arena.destroyed) {
        throw new DestroyedError(
          "Scratch region ended after its arena was destroyed: do not destroy scratch arenas",
        );
      }
      throw new ScratchOrderError(
        `Scratch region ${this.#depth} of scratch arena ${this.#slot} ended while region ${open} (begun inside it) is still open: end the inner region first (with \`using\`, regions end in the right order)`,
      );
    }
    this.#ended = true;
    noteEnd();
    depths[this.#slot] = open - 1;
    // Throws a RangeError if a pop() or clear() on the arena itself already
    // went below the region's start; the region counts as ended anyway. Where
    // the region began is then unknown: the enclosing region's end pops what
    // is left, and with none open, the arena is cleared so as to hold nothing.
    try {
      arenaRegions.end(this.arena, this.#mark);
    } catch (e) {
      if (open === 1) this.arena.clear();
      throw e;
    }
  }

  /** Same as {@linkcode ScratchRegion.end}, for `using`. */
  [Symbol.dispose](): void {
    this.end();
  }

  #usedAfterEnd(): never {
    throw new DestroyedError(
      "Scratch region was used after it ended: begin a new one with scratch()",
    );
  }

  // Why alloc or resize may not go on: the region ended, or a region begun
  // after it on the same arena is open, whose end would pop the new memory
  // while this region still holds it. A destroyed arena says so itself.
  #refuse(what: string): void {
    if (this.#ended) this.#usedAfterEnd();
    if (this.arena.destroyed) return;
    throw new ScratchOrderError(
      `Scratch region ${this.#depth} of scratch arena ${this.#slot} ${what} while region ${
        depths[this.#slot]
      } (begun inside it) is still open: the inner region's end would take the memory; allocate from the inner region, or end it first`,
    );
  }
}

/**
 * Begins a region of temporary memory in one of this worker's two scratch
 * arenas, and returns it as an {@linkcode Allocator}. Everything allocated in
 * the region is given back when it ends — at the end of the `using` block.
 * Regions nest, and must end in reverse order (`using` does that).
 *
 * A function that is handed a scratch allocator to put its results in can
 * still use scratch memory of its own: `scratch(out)` takes the scratch arena
 * that `out` is not, so its region cannot pop `out`'s allocations. `out` may
 * also wrap a region or a scratch arena, through its `parent` (an
 * {@linkcode Arena} or a `DebugAllocator` over a region).
 *
 * The arenas are made on first use, on one page source from `defaultPages()`,
 * with the default arena options (4096-byte first block, 16-byte alignment);
 * their blocks are kept for reuse, so a warm region allocates nothing from
 * the page source.
 *
 * @example Temporary memory, and scratch for a function that gets scratch
 * ```ts
 * import { scratch } from "@sp/mem/arena";
 * import type { Allocator } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * // Writes n squares into `out`, using scratch memory of its own meanwhile.
 * function squares(out: Allocator, n: number): number {
 *   using tmp = scratch(out); // not the arena `out` is on
 *   const t = tmp.alloc(8 * n);
 *   for (let i = 0; i < n; i++) tmp.memory.f64[t / 8 + i] = i;
 *   const result = out.alloc(8 * n);
 *   for (let i = 0; i < n; i++) {
 *     out.memory.f64[result / 8 + i] = tmp.memory.f64[t / 8 + i] ** 2;
 *   }
 *   return result;
 * }
 *
 * using s = scratch();
 * const r = squares(s, 4);
 * assert.deepEqual([...s.memory.view(Float64Array, r, 4)], [0, 1, 4, 9]);
 * ```
 *
 * A destroyed scratch arena, or a destroyed page source under them, is
 * made again (on a new `defaultPages()` source) by the next region.
 *
 * @param conflict An allocator that must not be clobbered (such as another
 *   scratch region, or an allocator whose `parent` chain reaches one); the
 *   region is on the scratch arena that it is not. Anything but an allocator
 *   or `undefined` throws a TypeError.
 * @returns The open region.
 */
export function scratch(conflict?: Allocator): ScratchRegion {
  checkConflict(conflict);
  return new ScratchRegion(onFirst(conflict) ? 1 : 0);
}

// Whether `conflict` allocates from the first scratch arena: it is that
// arena or a region on it, or wraps one — through a `parent` (as an Arena, a
// Pool or a DebugAllocator has), followed a bounded number of steps in case
// the chain loops.
function onFirst(conflict: Allocator | undefined): boolean {
  const first = arenas[0];
  if (first === undefined) return false;
  let a: unknown = conflict;
  for (let i = 0; i < 64 && typeof a === "object" && a !== null; i++) {
    if (a === first || (a instanceof ScratchRegion && a.arena === first)) {
      return true;
    }
    a = (a as { parent?: unknown }).parent;
  }
  return false;
}
