/**
 * The reports of `DebugAllocator`: memory it found written where no
 * allocation was, and allocations never freed.
 *
 * @module
 */
/**
 * One allocation, as a `DebugAllocator` report lists it.
 *
 * @example
 * ```ts
 * import { DebugAllocator, type DebugBlock } from "@sp/mem/debug";
 * import { Heap } from "@sp/mem/heap";
 * import assert from "node:assert/strict";
 *
 * using heap = new Heap();
 * const debug = new DebugAllocator({ parent: heap, stacks: true });
 * const p = debug.alloc(12);
 * const [leak]: DebugBlock[] = debug.leaks();
 * assert.equal(leak.ptr, p);
 * assert.equal(leak.size, 12);
 * assert.match(leak.allocatedAt!, /:\d+:\d+/); // file:line:column of the alloc call
 * debug.free(p, 12);
 * ```
 */
export interface DebugBlock {
  /** The pointer the allocation was handed out as. */
  readonly ptr: number;
  /** The size asked for. */
  readonly size: number;
  /** Where it was allocated (with `stacks: true`), else undefined. */
  readonly allocatedAt?: string;
  /** Where it was freed, for a freed block (with `stacks: true`). */
  readonly freedAt?: string;
}

/**
 * Thrown when a `DebugAllocator` finds bytes written where nothing
 * was allocated: past either end of a block (its red zones), or into a freed
 * block waiting in quarantine. The call that found it has done its work; the
 * error reports what happened before it.
 *
 * @example
 * ```ts
 * import { DebugAllocator, MemoryCorruptionError } from "@sp/mem/debug";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * const debug = new DebugAllocator({ parent: pages, quarantine: 0 });
 * const p = debug.alloc(16);
 * debug.memory.u8[p + 16] = 1; // one past the end
 * assert.throws(() => debug.free(p, 16), MemoryCorruptionError);
 * ```
 */
export class MemoryCorruptionError extends Error {
  /** The block whose red zone or freed bytes were written. */
  readonly block: DebugBlock;
  /** The first byte found written. */
  readonly at: number;
  /**
   * The other corruptions the same call found (frozen; empty when this was
   * the only one): a free that gives back several quarantined blocks,
   * `check()` and `destroy()` report every one, the first as this error and
   * the rest here, in the order found. The message then ends with
   * " (and N more corruptions: see .others)".
   *
   * @example A write past the end and a write after free, in one check
   * ```ts
   * import { DebugAllocator, MemoryCorruptionError } from "@sp/mem/debug";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const debug = new DebugAllocator({ parent: pages });
   * const p = debug.alloc(16);
   * const q = debug.alloc(16);
   * debug.free(q, 16); // held in quarantine
   * debug.memory.u8[p + 16] = 1; // one past the end of p
   * debug.memory.u8[q] = 1; // into q after its free
   * assert.throws(() => debug.check(), (e) => {
   *   assert.ok(e instanceof MemoryCorruptionError);
   *   assert.match(e.message, /buffer overflow\) \(and 1 more corruption: see \.others\)$/);
   *   assert.equal(e.others.length, 1);
   *   assert.match(e.others[0].message, /use after free/);
   *   return true;
   * });
   * ```
   */
  readonly others: readonly MemoryCorruptionError[];

  /**
   * Makes the error.
   *
   * @param message What was written where, and what to look for.
   * @param block The block it was found in.
   * @param at The first byte found written.
   * @param options `others`: the other corruptions found by the same call
   * (copied; default none), counted at the end of the message.
   */
  constructor(
    message: string,
    block: DebugBlock,
    at: number,
    options: { readonly others?: readonly MemoryCorruptionError[] } = {},
  ) {
    const others = Object.freeze([...(options.others ?? [])]);
    const n = others.length;
    super(
      n === 0
        ? message
        : `${message} (and ${n} more corruption${
          n === 1 ? "" : "s"
        }: see .others)`,
    );
    this.name = "MemoryCorruptionError";
    this.block = block;
    this.at = at;
    this.others = others;
  }
}

/**
 * Thrown by `DebugAllocator.destroy` when allocations are still
 * live: it lists them (with where each was made, when stacks are captured).
 * The memory is given back all the same.
 *
 * @example
 * ```ts
 * import { DebugAllocator, LeakError } from "@sp/mem/debug";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * const debug = new DebugAllocator({ parent: pages });
 * debug.alloc(100);
 * assert.throws(() => debug.destroy(), (e) => e instanceof LeakError && e.leaks[0].size === 100);
 * ```
 */
export class LeakError extends Error {
  /** The allocations that were never freed. */
  readonly leaks: readonly DebugBlock[];

  /**
   * Makes the error.
   *
   * @param message How many leaked, and the first few.
   * @param leaks Every allocation still live.
   */
  constructor(message: string, leaks: readonly DebugBlock[]) {
    super(message);
    this.name = "LeakError";
    this.leaks = leaks;
  }
}
