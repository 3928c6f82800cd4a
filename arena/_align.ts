// Alignment, top-allocation and pointer-error helpers shared by Arena and
// FixedAllocator. Alignment is of the real address: for native memory that
// is `memory.address + ptr`, so the pointer is aligned relative to a bias
// (the address modulo the alignment).
import { checkPowerOfTwo, hex } from "../internal/checks.ts";
import { PointerError } from "../os/errors.ts";
import type { TopStack } from "./_top_stack.ts";
import type { Memory } from "../os/memory.ts";
import { addressBias } from "../internal/address_bias.ts";

/**
 * The largest `alignment` option of an arena or fixed allocator (the
 * alignment of all its allocations): 2^30 (so that `alignment - 1` is an
 * int32 mask). The alignment one `alloc` or `resize` call may ask for is at
 * most 65536, as on every allocator.
 *
 * @example
 * ```ts
 * import { Arena, MAX_ALIGNMENT } from "@sp/mem/arena";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Arena({ alignment: MAX_ALIGNMENT * 2 }), RangeError);
 * using arena = new Arena({ parent: new BufferPages({ reserve: 2 ** 20 }) });
 * assert.throws(() => arena.alloc(8, 2 ** 17), RangeError); // per call: 65536
 * ```
 */
export const MAX_ALIGNMENT = 2 ** 30;

/** Throws unless `alignment` is a power of two from 1 to 2^30. */
export function checkAlignment(alignment: number): void {
  checkPowerOfTwo(alignment, MAX_ALIGNMENT, "2^30 (1 means packed)");
}

export {
  checkRequestAlignment,
  MAX_REQUEST_ALIGNMENT,
} from "../internal/checks.ts";

export { addressBias };

/**
 * Whether a block at `ptr` may stay where it is through a resize that asks
 * for `alignment` (undefined: the allocator's own, which every block has):
 * its real address is a multiple of it.
 */
export function keepsAlignment(
  memory: Memory,
  ptr: number,
  alignment: number | undefined,
): boolean {
  return alignment === undefined ||
    (ptr + addressBias(memory, alignment)) % alignment === 0;
}

/**
 * Whether `[ptr, ptr + size)` is a bump allocator's top allocation: it starts
 * where the newest allocation known does (`last`, from its
 * {@linkcode TopStack}; -1 if none is), ends at the bump `top` and is at or
 * above `floor`. An interior pointer that reaches the bump is never the top
 * allocation.
 */
export function isTop(
  ptr: number,
  size: number,
  top: number,
  floor: number,
  last: number,
): boolean {
  // typeof first: a bigint or a symbol would throw in the sum (a TypeError
  // that names nothing); the caller's slow path says what is wrong.
  return ptr === last && typeof size === "number" && ptr + size === top &&
    ptr >= floor && (size >>> 0) === size;
}

/**
 * Throws unless a free or resize of `[ptr, ptr + size)` fits the newest
 * allocation that `starts` knows, `[last, top)`, where it touches it: a
 * pointer inside it but not at its start is `interior`, and its start with a
 * size that does not reach `top` is a `size-mismatch` (the one allocation
 * whose size a bump allocator knows exactly: a free of the one above it put
 * the bump back at its end, padding and all). Below it, a size that reaches
 * past the next start known is a `size-mismatch` too. A zero-size
 * pointer is never refused here: it owns no bytes, the allocation before it
 * may have grown over it in place (a zero-size allocation does not stop the
 * one before it from being the top), and one made at the last allocation's
 * start looks the same.
 */
export function checkLast(
  ptr: number,
  size: number,
  starts: TopStack,
  top: number,
): void {
  const last = starts.last;
  if (size === 0 || last === -1 || ptr >= top) return;
  // (Past the bump, the caller's "not live" error says more.)
  if (ptr < last) {
    if (ptr + size <= top) checkReach(ptr, size, starts);
    return;
  }
  if (ptr !== last) {
    throw new PointerError(
      `Pointer ${hex(ptr)} is inside the last allocation, at ${
        hex(last)
      }, not its start (an interior pointer)`,
      ptr,
      "interior",
    );
  }
  if (ptr + size === top) return;
  throw new PointerError(
    `Size ${size} does not match the allocation at ${
      hex(ptr)
    }, the last one, of ${
      top - last
    } bytes: pass the size it was allocated or last resized with`,
    ptr,
    "size-mismatch",
  );
}

// An allocation below the newest one known ends at the next start known
// above it at the latest: a size reaching past that is not its size (a
// shrink would zero the next allocation's bytes). Allocations never overlap,
// so a right size never reaches a start (one in another block is below or
// above all of the current block's starts).
function checkReach(ptr: number, size: number, starts: TopStack): void {
  const next = starts.after(ptr);
  if (ptr + size <= next) return;
  throw new PointerError(
    `Size ${size} does not match the allocation at ${
      hex(ptr)
    }: it would reach the allocation at ${
      hex(next)
    }, made after it; pass the size it was allocated or last resized with`,
    ptr,
    "size-mismatch",
  );
}

export function notLive(
  ptr: number,
  size: number,
  where: string,
  gone: string,
): PointerError {
  return new PointerError(
    `Pointer ${
      hex(ptr)
    } with size ${size} is not live in ${where}: it was ${gone} already, or the size is not the one it was allocated with`,
    ptr,
    "double-free",
  );
}

/** The error for a pointer outside a bump allocator's memory (`where`). */
export function notInside(ptr: number, where: string): PointerError {
  return new PointerError(
    `Pointer ${
      hex(ptr)
    } is ${where}: free or resize it with the allocator that made it`,
    ptr,
    "foreign",
  );
}
