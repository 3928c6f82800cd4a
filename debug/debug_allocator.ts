/**
 * {@linkcode DebugAllocator}: a wrapper for any allocator that catches the
 * bugs allocators cannot see — writes past the end, writes after free, leaks.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import { giveBack } from "../internal/give_back.ts";
import {
  checkOptions,
  checkPointer,
  checkRequestAlignment,
  checkSize,
  hex,
} from "../internal/checks.ts";
import { fillBytes } from "../internal/bytes.ts";
import {
  DestroyedError,
  OutOfMemoryError,
  PointerError,
} from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import { type DebugBlock, LeakError, MemoryCorruptionError } from "./errors.ts";
import { noteDetached } from "../internal/revoke.ts";
import {
  ENDS_HERE,
  endsHere,
  goneUnder,
  noteEnd,
} from "../internal/parent_chain.ts";

/** The byte of a red zone. */
const RED = 0xfd;

/**
 * How many blocks given back to the parent the record of freed blocks keeps
 * (besides every quarantined one), to name a double free: on a parent that
 * never reuses an address (an arena) it would otherwise grow with every free.
 */
const FREED_KEPT = 2 ** 16;

/** No corruptions found. */
const NONE: readonly MemoryCorruptionError[] = Object.freeze([]);

/**
 * Options for {@linkcode DebugAllocator}.
 *
 * @example Wide red zones, no quarantine
 * ```ts
 * import { DebugAllocator, type DebugAllocatorOptions } from "@sp/mem/debug";
 * import { Heap } from "@sp/mem/heap";
 * import assert from "node:assert/strict";
 *
 * using heap = new Heap();
 * const options: DebugAllocatorOptions = { parent: heap, redZone: 64, quarantine: 0 };
 * const debug = new DebugAllocator(options);
 * const p = debug.alloc(8);
 * // The block and its red zones, 8 + 2 × 64 bytes, in the heap's 192-byte class:
 * assert.equal(heap.bytesUsed, 192);
 * debug.free(p, 8);
 * assert.equal(heap.bytesUsed, 0); // no quarantine: back at once
 * ```
 */
export interface DebugAllocatorOptions {
  /** The allocator whose memory is handed out. */
  parent: Allocator;
  /**
   * Bytes of red zone before and after every block, checked on free, resize
   * and `check()`; a multiple of 16, so blocks keep the parent's alignment.
   * Default 16.
   */
  redZone?: number;
  /**
   * Bytes of freed blocks held back before they go to the parent, so that a
   * write after free is found when the block leaves; default 1 MiB; 0 gives
   * every freed block back at once.
   */
  quarantine?: number;
  /** The byte a freed block is filled with; default 0xdd. */
  junk?: number;
  /**
   * Whether to capture the stack of every allocation and free, for the
   * reports (costly: a stack per call). Default false.
   */
  stacks?: boolean;
}

interface Block extends DebugBlock {
  /** The parent's allocation: the red zone before the block starts there. */
  readonly base: number;
  freedAt?: string;
}

/**
 * A wrapper for any {@linkcode Allocator} that checks what its users do with
 * the memory, the way Zig's DebugAllocator does:
 *
 * ```
 *  parent's block:  [ red zone | the allocation …… | red zone ]
 *                    0xfd × rz   ptr                  0xfd × rz
 *  freed:           [ red zone | 0xdd junk ……      | red zone ]  → quarantine → parent
 * ```
 *
 * - **Red zones** of `redZone` bytes before and after every block are checked
 *   on free, on resize and by {@linkcode DebugAllocator.check}: a write past
 *   either end is a {@linkcode MemoryCorruptionError}.
 * - **Junk and quarantine**: a freed block is filled with `junk` and held back
 *   (up to `quarantine` bytes, oldest first out); when it leaves, a byte that
 *   is no longer junk is a write after free.
 * - **Leaks**: {@linkcode DebugAllocator.leaks} lists the live allocations;
 *   `destroy()` gives everything back and throws a {@linkcode LeakError} if
 *   any were left.
 * - **Bad pointers**: a double free, a free of an interior, foreign or freed
 *   pointer, or a wrong size throws a `PointerError` naming where the block
 *   was allocated and freed (with `stacks: true`).
 *
 * Every resize moves the block, so a stale pointer to the old one is caught
 * too. It costs a `Map` lookup and the red-zone checks per call: for
 * debugging, not production.
 *
 * @example A write past the end, and a leak
 * ```ts
 * import { DebugAllocator, MemoryCorruptionError } from "@sp/mem/debug";
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const debug = new DebugAllocator({ parent: heap, stacks: true });
 * const p = debug.alloc(24);
 * debug.memory.u8[p + 24] = 7; // a bug: one byte too far
 * assert.throws(() => debug.check(), MemoryCorruptionError);
 * debug.memory.u8[p + 24] = 0xfd; // (repaired, for the example)
 * const q = debug.alloc(8);
 * debug.free(p, 24);
 * assert.deepEqual(debug.leaks().map((b) => [b.ptr, b.size]), [[q, 8]]);
 * debug.free(q, 8);
 * debug.destroy(); // no leaks: returns quietly
 * ```
 */
export class DebugAllocator implements Allocator, Disposable {
  /** The memory of the parent. */
  readonly memory: Memory;
  /** The allocator the blocks come from. */
  readonly parent: Allocator;
  /** Bytes of red zone before and after each block. */
  readonly redZone: number;
  /** Bytes of freed blocks held back before they go to the parent. */
  readonly quarantine: number;
  /** The byte freed blocks are filled with. */
  readonly junk: number;
  #stacks: boolean;
  #live = new Map<number, Block>();
  // Freed blocks, oldest first, until they leave the quarantine; and the
  // last freed block at each pointer, to tell a double free from a foreign
  // pointer.
  #held: Block[] = [];
  #heldHead = 0; // #held[#heldHead] is the oldest: no O(n) shift() per free
  #heldBytes = 0;
  // (Oldest first; past FREED_KEPT given back, the oldest are dropped.)
  #freed = new Map<number, Block>();
  #forgotten = false; // whether any were dropped
  #destroyed = false;
  // The alignment of the parent's every block: its `alignment` (an arena's,
  // a pool's), else 16 (a heap's, a page source's granule).
  #natural: number;

  /**
   * Wraps `options.parent`.
   *
   * @param options The parent, and the checks' sizes.
   */
  constructor(options: DebugAllocatorOptions) {
    checkOptions(options, "DebugAllocator", "{ parent }", [
      "parent",
      "redZone",
      "quarantine",
      "junk",
      "stacks",
    ]);
    const { parent } = options;
    if (typeof parent?.alloc !== "function") {
      throw new TypeError(
        "Parent must be an Allocator (with memory, alloc, resize and free)",
      );
    }
    const redZone = options.redZone ?? 16;
    checkSize(redZone, 2 ** 20, "Red zone", "the largest red zone");
    if (redZone % 16 !== 0) {
      throw new RangeError(
        `Red zone must be a multiple of 16 bytes (to keep the parent's alignment), got ${redZone}`,
      );
    }
    const quarantine = options.quarantine ?? 2 ** 20;
    checkSize(quarantine, Number.MAX_SAFE_INTEGER, "Quarantine", "the limit");
    const junk = options.junk ?? 0xdd;
    if (!(junk >>> 0 === junk && junk <= 255)) {
      throw new RangeError(`Junk must be a byte, 0 to 255, got ${junk}`);
    }
    this.parent = parent;
    this.memory = parent.memory;
    this.redZone = redZone;
    this.quarantine = quarantine;
    this.junk = junk;
    this.#stacks = options.stacks ?? false;
    const natural = (parent as { alignment?: unknown }).alignment;
    this.#natural = typeof natural === "number" && natural >>> 0 === natural &&
        (natural & (natural - 1)) === 0 && natural > 16
      ? natural
      : 16;
  }

  /** Bytes of freed blocks held in quarantine now (red zones included). */
  get quarantined(): number {
    return this.#heldBytes;
  }

  /**
   * Whether the debug allocator can no longer serve:
   * {@linkcode DebugAllocator.destroy} has been called, or what is under it
   * is gone (its parent, at any depth, reports `destroyed`, as an ended
   * scratch region does, or its memory was destroyed). Every call then
   * throws a {@linkcode DestroyedError}.
   */
  get destroyed(): boolean {
    return this.#destroyed || !this.#parentLive();
  }

  /**
   * Allocates `size` zero-filled bytes, between two red zones.
   *
   * @param size The number of bytes.
   * @param alignment A power of two from 1 to 65536 that the address is a
   * multiple of, passed to the parent (which must support it); the red zone
   * before the block then grows to a multiple of it. Omitted, the parent's
   * natural alignment: its `alignment` where it has one (an arena's, a
   * pool's), else 16, with the red zone grown the same way.
   * @returns The pointer.
   */
  alloc(size: number, alignment?: number): number {
    if (alignment !== undefined) checkRequestAlignment(alignment);
    this.#checkLive();
    checkSize(size, Number.MAX_SAFE_INTEGER);
    const rz = this.redZone;
    // The block starts `front` bytes into the parent's allocation: the red
    // zone, rounded up to the alignment (the parent's own, omitted) so that
    // the block keeps it.
    const align = alignment ?? this.#natural;
    const front = rz % align === 0 ? rz : Math.ceil(rz / align) * align;
    const base = this.#allocBase(size, spanOf(front, size, rz), alignment);
    const ptr = base + front;
    fillBytes(this.memory, base, ptr, RED);
    fillBytes(this.memory, ptr + size, ptr + size + rz, RED);
    this.#live.set(ptr, {
      ptr,
      size,
      base,
      allocatedAt: this.#stack(),
    });
    this.#freed.delete(ptr);
    return ptr;
  }

  /**
   * Allocates like {@linkcode DebugAllocator.alloc}, then fills the block
   * with the {@linkcode DebugAllocator.junk} pattern, so that a read before
   * any write shows up as junk (an unzeroed allocation elsewhere would hold
   * old bytes there).
   *
   * @example
   * ```ts
   * import { DebugAllocator } from "@sp/mem/debug";
   * import { Heap } from "@sp/mem/heap";
   * import assert from "node:assert/strict";
   *
   * using debug = new DebugAllocator({ parent: new Heap() });
   * const p = debug.allocUnsafe(8);
   * assert.equal(debug.memory.u8[p], debug.junk);
   * debug.free(p, 8);
   * ```
   *
   * @param size The number of bytes.
   * @param alignment As for {@linkcode DebugAllocator.alloc}.
   * @returns The pointer.
   */
  allocUnsafe(size: number, alignment?: number): number {
    const ptr = this.alloc(size, alignment);
    fillBytes(this.memory, ptr, ptr + size, this.junk);
    return ptr;
  }

  /**
   * Resizes an allocation by moving it (so a stale pointer to the old block is
   * caught): a new block, the kept bytes copied, the old one freed.
   *
   * @param ptr The allocation, or 0 to allocate.
   * @param oldSize The size it was allocated (or last resized) with.
   * @param newSize The size wanted; 0 frees.
   * @param alignment The alignment it was allocated with, kept by the move.
   * @returns The new pointer, or 0 if freed.
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
    checkSize(newSize, Number.MAX_SAFE_INTEGER, "New size");
    const block = this.#find(ptr, oldSize, "Old size");
    if (newSize === 0) {
      this.free(ptr, oldSize);
      return 0;
    }
    const overflow = this.#redZoneError(block);
    if (overflow) throw overflow;
    // The free below pushes older blocks out of the quarantine; one written
    // after its free is reported now, before anything moves (found after
    // the move, the new block would leak and the old pointer be dead):
    // those blocks go back, as a report of them does. Else nothing goes
    // back yet: an alloc that fails must change nothing.
    const room = this.#span(block);
    if (this.#wouldEvict(room)) throw gathered(this.#evict(room));
    let moved: number;
    try {
      moved = this.alloc(newSize, alignment);
    } catch (e) {
      // The parent may have room once the blocks the free would give back
      // are back (clean ones: checked above), as it had with them drained
      // first.
      // (Nothing it gives back was written: checked above.)
      if (!(e instanceof OutOfMemoryError)) throw e;
      this.#evict(room);
      moved = this.alloc(newSize, alignment);
    }
    this.memory.u8.copyWithin(moved, ptr, ptr + Math.min(oldSize, newSize));
    this.free(ptr, oldSize);
    return moved;
  }

  /**
   * Frees an allocation: checks its red zones, fills it with junk and holds
   * it in quarantine. A {@linkcode MemoryCorruptionError} (a red zone of
   * this block written, or a block leaving the quarantine written after its
   * free) is thrown after the free is done: the block is freed either way.
   * Every corruption found is reported: the first as the error, the rest in
   * its `others`.
   *
   * @param ptr The allocation, or 0 to do nothing.
   * @param size The size it was allocated (or last resized) with.
   */
  free(ptr: number, size: number): void {
    if (ptr === 0) return;
    this.#checkLive();
    const block = this.#find(ptr, size);
    this.#live.delete(ptr);
    block.freedAt = this.#stack();
    this.#freed.set(ptr, block);
    fillBytes(this.memory, ptr, ptr + block.size, this.junk);
    this.#held.push(block);
    this.#heldBytes += this.#span(block);
    // The block is freed either way; then what was wrong is reported.
    const overflow = this.#redZoneError(block);
    const evicted = this.#evict(0);
    this.#forgetOldest();
    const error = gathered(overflow ? [overflow, ...evicted] : evicted);
    if (error) throw error;
  }

  // Drops the oldest records of freed blocks while more than FREED_KEPT
  // given back ones are kept: the newest records are the quarantined
  // blocks (an alloc deletes only the record of an address given back), so
  // none of theirs goes.
  #forgetOldest(): void {
    const held = this.#held.length - this.#heldHead;
    if (this.#freed.size <= FREED_KEPT + held) return;
    const keys = this.#freed.keys();
    while (this.#freed.size > FREED_KEPT + held) {
      this.#freed.delete(keys.next().value!);
    }
    this.#forgotten = true;
  }

  // Whether #evict(room) would find a block written after its free, found
  // without giving anything back.
  #wouldEvict(room: number): boolean {
    let bytes = this.#heldBytes;
    for (
      let i = this.#heldHead;
      bytes + room > this.quarantine && i < this.#held.length;
      i++
    ) {
      const old = this.#held[i];
      bytes -= this.#span(old);
      if (this.#junkError(old)) return true;
    }
    return false;
  }

  // Gives the oldest quarantined blocks back to the parent until `room`
  // more bytes fit in the quarantine; returns the errors of those written
  // after their free, oldest first (each is given back either way).
  #evict(room: number): readonly MemoryCorruptionError[] {
    let found: MemoryCorruptionError[] | undefined; // (made only when needed)
    while (
      this.#heldBytes + room > this.quarantine &&
      this.#held.length > this.#heldHead
    ) {
      const old = this.#takeOldest();
      this.#heldBytes -= this.#span(old);
      const error = this.#junkError(old);
      if (error) (found ??= []).push(error);
      this.parent.free(old.base, this.#span(old));
    }
    return found ?? NONE;
  }

  /**
   * Checks every live block's red zones and every quarantined block's junk;
   * throws a {@linkcode MemoryCorruptionError} for the first one written,
   * with every other one written in its `others` (live blocks first, then
   * the quarantine's oldest first). It changes nothing.
   */
  check(): void {
    this.#checkLive();
    const error = gathered(this.#scan());
    if (error) throw error;
  }

  // Every red zone of a live block written, and every quarantined block
  // written after its free: check()'s findings.
  #scan(): MemoryCorruptionError[] {
    const found: MemoryCorruptionError[] = [];
    for (const block of this.#live.values()) {
      const error = this.#redZoneError(block);
      if (error) found.push(error);
    }
    for (let i = this.#heldHead; i < this.#held.length; i++) {
      const error = this.#junkError(this.#held[i]);
      if (error) found.push(error);
    }
    return found;
  }

  /**
   * The live allocations, oldest first, with where each was made (with
   * `stacks: true`).
   *
   * @returns One entry per allocation never freed.
   */
  leaks(): DebugBlock[] {
    return [...this.#live.values()].map(({ ptr, size, allocatedAt }) => ({
      ptr,
      size,
      allocatedAt,
    }));
  }

  /**
   * Checks the blocks as {@linkcode DebugAllocator.check} does, gives every
   * block back to the parent — the quarantined ones too; a parent destroyed
   * first took them with it — then throws a {@linkcode LeakError} if
   * allocations were still live. What the check found is thrown in place of
   * the LeakError, once every block is given back: a
   * `MemoryCorruptionError`, with the rest of its findings in `others`. A
   * parent that refuses a block (another debug allocator that found its red
   * zone written) still gets every other one; its first error is thrown in
   * place of the LeakError too, and when it is a `MemoryCorruptionError`
   * every other one the parent threw is in its `others` (after this
   * allocator's own). Calling it again does nothing.
   */
  destroy(): void {
    if (this.#destroyed) return;
    const leaks = this.leaks();
    // (A parent destroyed first took the blocks' bytes with it.)
    const corruptions = this.#parentLive() && this.memory.byteLength !== 0
      ? this.#scan()
      : [];
    const found = corruptions.length;
    this.#destroyed = true;
    noteEnd();
    const held = this.#held.slice(this.#heldHead);
    // The first refusal is thrown before the leaks (a parent destroyed first
    // took the blocks with it: the leaks are still reported).
    const refusal = giveBack([...held, ...this.#live.values()], (block) => {
      try {
        this.parent.free(block.base, this.#span(block));
      } catch (e) {
        if (e instanceof MemoryCorruptionError) corruptions.push(e);
        throw e;
      }
    });
    this.#held = [];
    this.#heldHead = 0;
    this.#heldBytes = 0;
    this.#live.clear();
    this.#freed.clear();
    if (found !== 0) throw gathered(corruptions);
    if (refusal !== undefined) {
      throw refusal.error === corruptions[0]
        ? gathered(corruptions)
        : refusal.error;
    }
    if (leaks.length > 0) {
      const first = leaks.slice(0, 3).map((b) =>
        `${b.size} bytes at ${hex(b.ptr)}${at("allocated", b.allocatedAt)}`
      );
      throw new LeakError(
        `${leaks.length} allocation(s) never freed: ${first.join("; ")}${
          leaks.length > 3 ? "; …" : ""
        }`,
        leaks,
      );
    }
  }

  /** Same as {@linkcode DebugAllocator.destroy}, for `using`. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  // The live block at `ptr` of `size`, or a PointerError saying why not.
  // The size of the parent's allocation for `block` (see spanOf).
  #span(block: Block): number {
    return spanOf(block.ptr - block.base, block.size, this.redZone);
  }

  // The parent's allocation for a block of `size`: `span` bytes with the red
  // zones. A parent that refuses the span for its size names the span, not
  // the size asked: the error then says both (of the parent's class, its
  // error as the cause). Any other error (an alignment refused, say) is the
  // parent's as it is.
  #allocBase(size: number, span: number, alignment?: number): number {
    try {
      return alignment === undefined
        ? this.parent.alloc(span)
        : this.parent.alloc(span, alignment);
    } catch (e) {
      // A refusal of the span's size: out of memory, or a RangeError that
      // names the span as the size (not an alignment's, whose message may
      // hold the same digits).
      const ofSize = e instanceof OutOfMemoryError ||
        (e instanceof RangeError && e.message.startsWith(`Size ${span} `));
      if (span === size || !ofSize) throw e;
      const why =
        `with its red zones that is ${span} bytes, which its parent refused (${
          (e as Error).message
        })`;
      const error = e instanceof OutOfMemoryError
        ? new OutOfMemoryError(
          `Debug allocator cannot allocate ${size} bytes: ${why}`,
          size,
        )
        : new RangeError(
          `Size ${size} exceeds what the debug allocator's parent can hold: ${why}`,
        );
      error.cause = e;
      throw error;
    }
  }

  #find(ptr: number, size: number, what = "Size"): Block {
    checkPointer(ptr);
    checkSize(size, Number.MAX_SAFE_INTEGER, what);
    const block = this.#live.get(ptr);
    if (block !== undefined) {
      if (block.size === size) return block;
      throw new PointerError(
        `Size ${size} does not match the allocation at ${
          hex(ptr)
        } of ${block.size} bytes${at("allocated", block.allocatedAt)}`,
        ptr,
        "size-mismatch",
      );
    }
    // Inside a live block first: a freed block's address can be inside a
    // newer one once the quarantine has given it back.
    for (const b of this.#live.values()) {
      if (ptr > b.ptr && ptr < b.ptr + b.size) {
        throw new PointerError(
          `Pointer ${hex(ptr)} is inside the allocation at ${
            hex(b.ptr)
          }, not its start${at("allocated", b.allocatedAt)}`,
          ptr,
          "interior",
        );
      }
    }
    const freed = this.#freed.get(ptr);
    if (freed !== undefined) {
      throw new PointerError(
        `Pointer ${hex(ptr)} was freed already: double free${
          at("allocated", freed.allocatedAt)
        }${at("freed", freed.freedAt)}`,
        ptr,
        "double-free",
      );
    }
    throw new PointerError(
      `Pointer ${hex(ptr)} is no allocation of this debug allocator (${
        this.#forgotten
          ? `another allocator's, never allocated, or a double free of a block given back before the last ${FREED_KEPT} it remembers`
          : "another allocator's, or never allocated"
      })`,
      ptr,
      "foreign",
    );
  }

  #takeOldest(): Block {
    const old = this.#held[this.#heldHead++];
    // Drop the taken half once it is most of the array: amortized O(1).
    if (this.#heldHead * 2 > this.#held.length && this.#heldHead > 64) {
      this.#held = this.#held.slice(this.#heldHead);
      this.#heldHead = 0;
    }
    return old;
  }

  // The error of a block whose red zone was written, or undefined.
  #redZoneError(block: Block): MemoryCorruptionError | undefined {
    const { base, ptr, size } = block;
    const before = firstNot(this.memory.u8, base, ptr, RED);
    const after = before < 0
      ? firstNot(this.memory.u8, ptr + size, ptr + size + this.redZone, RED)
      : -1;
    if (before < 0 && after < 0) return undefined;
    return new MemoryCorruptionError(
      `Byte ${hex(Math.max(before, after))} ${
        before < 0 ? "past the end of" : "before"
      } the ${size}-byte allocation at ${
        hex(ptr)
      } was written (a buffer overflow)${at("allocated", block.allocatedAt)}`,
      block,
      Math.max(before, after),
    );
  }

  // The error of a freed block written after its free, or undefined.
  #junkError(block: Block): MemoryCorruptionError | undefined {
    const { ptr, size } = block;
    const i = firstNot(this.memory.u8, ptr, ptr + size, this.junk);
    if (i < 0) return undefined;
    return new MemoryCorruptionError(
      `Byte ${hex(i)} of the ${size}-byte allocation at ${
        hex(ptr)
      } was written after it was freed (a use after free)${
        at("allocated", block.allocatedAt)
      }${at("freed", block.freedAt)}`,
      block,
      i,
    );
  }

  #stack(): string | undefined {
    if (!this.#stacks) return undefined;
    // Drop the first lines: the Error and this allocator's own frames.
    return new Error().stack?.split("\n").slice(3).join("\n").trim();
  }

  #checkLive(): void {
    if (this.#destroyed) {
      throw new DestroyedError(
        "Debug allocator was used after destroy(): make a new one",
      );
    }
    if (!this.#parentLive()) {
      noteDetached(this.memory);
      throw new DestroyedError(
        `Debug allocator was used after ${
          goneUnder(this.parent)
        }: its blocks are gone; make a new one on a live parent`,
      );
    }
  }

  // Whether the parent still owns the blocks: neither it (which reports
  // `destroyed` for anything under it too, if it is an arena, pool, debug
  // allocator or scratch region) nor the memory is destroyed.
  #parentLive(): boolean {
    return this.parent.destroyed !== true && this.memory.destroyed !== true;
  }

  /** Whether this allocator's chain ends only by calls counted in ENDS. */
  get [ENDS_HERE](): boolean {
    return endsHere(this.parent);
  }
}

// The size of the parent's allocation for a block: the front red zone (with
// any alignment padding), the block and the back red zone; at least 1 byte,
// so that zero-size blocks with no red zone (on a bump allocator, which
// hands out the same pointer for every zero-size request) do not share a
// pointer.
function spanOf(front: number, size: number, redZone: number): number {
  return Math.max(1, front + size + redZone);
}

// One error for every corruption found, in order: the first, with the rest
// in its `others` (each one's own others in their place, so the count is of
// all of them); undefined for none.
function gathered(
  found: readonly MemoryCorruptionError[],
): MemoryCorruptionError | undefined {
  if (found.length <= 1) return found[0];
  const all = found.flatMap((e) => [e, ...e.others]);
  const [first, ...others] = all.map((e) =>
    e.others.length === 0 ? e : new MemoryCorruptionError(
      e.message.replace(/ \(and \d+ more corruptions?: see \.others\)$/, ""),
      e.block,
      e.at,
    )
  );
  return new MemoryCorruptionError(first.message, first.block, first.at, {
    others,
  });
}

// The first byte in [from, to) that is not `byte`, or -1.
function firstNot(u8: Uint8Array, from: number, to: number, byte: number) {
  for (let i = from; i < to; i++) if (u8[i] !== byte) return i;
  return -1;
}

// ", allocated at\n<stack>" when a stack was captured.
function at(what: string, stack: string | undefined): string {
  return stack === undefined ? "" : `; ${what} at\n${stack}`;
}
