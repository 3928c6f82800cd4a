// Finding the live allocation a pointer handed to free or resize names, and
// saying why when there is none (docs/design.md#error-model): the cold path, where
// every message is built.
import { checkPointer, checkSize, hex } from "../internal/checks.ts";
import type { Memory } from "../os/memory.ts";
import { PointerError } from "../os/errors.ts";
import { CHUNKS, CLASS_SIZE, FIRST_CHUNK, SPAN_SIZE } from "./_geometry.ts";
import type { LargeBlocks } from "./_large_blocks.ts";
import {
  EMPTY,
  FREED_LARGE,
  HEADER_PAGE,
  isSpan,
  KIND,
  LARGE,
  MAX_SIZE,
  MIN_SIZE,
  NONE,
  type SpanTable,
} from "./_span_table.ts";

/**
 * The page of the live allocation that starts at `ptr` (and has `size`, if
 * given; a small allocation's size is checked by its class's range), or a
 * thrown error that says why there is none.
 */
export function locate(
  table: SpanTable,
  large: LargeBlocks,
  memory: Memory,
  ptr: number,
  size: number | undefined,
): number {
  checkPointer(ptr);
  if (size !== undefined) checkSize(size, Number.MAX_SAFE_INTEGER);
  const page = Math.floor(ptr / SPAN_SIZE);
  const rel = ptr - page * SPAN_SIZE;
  const kind = table.get(page, KIND);
  if (
    isSpan(kind) && rel % 16 === 0 && table.isAllocated(page, rel) &&
    (size === undefined || (size <= MAX_SIZE[kind] && size >= MIN_SIZE[kind]))
  ) return page;
  if (
    kind === LARGE && rel === 0 &&
    (size === undefined || size === table.largeSize[page])
  ) return page;
  throw pointerError(table, large, memory.byteLength, ptr, size);
}

/**
 * The PointerError that says why `ptr` (with `size`, if one was given) is not
 * the start of a live allocation of the heap whose tables these are. The
 * caller has checked that `ptr` is a non-negative integer.
 */
function pointerError(
  table: SpanTable,
  large: LargeBlocks,
  memoryBytes: number,
  ptr: number,
  size: number | undefined,
): PointerError {
  const page = Math.floor(ptr / SPAN_SIZE);
  const rel = ptr - page * SPAN_SIZE;
  const kind = table.get(page, KIND);
  const at = hex(ptr);
  if (isSpan(kind)) {
    const classSize = CLASS_SIZE[kind - 1];
    const span = `the span of ${classSize}-byte chunks at ${
      hex(page * SPAN_SIZE)
    }`;
    if (rel % 16 !== 0) {
      return new PointerError(
        `Pointer ${at} is not 16-byte aligned, so it is no allocation of this heap (it is inside ${span})`,
        ptr,
        "unaligned",
      );
    }
    const first = FIRST_CHUNK[kind - 1];
    if (
      rel < first || (rel - first) % classSize !== 0 ||
      rel >= first + CHUNKS[kind - 1] * classSize
    ) {
      return new PointerError(
        `Pointer ${at} is inside ${span} but not at the start of a chunk (an interior pointer)`,
        ptr,
        "interior",
      );
    }
    if (!table.isAllocated(page, rel)) {
      return new PointerError(
        `Pointer ${at} is a free chunk of ${span}: double free, or never allocated`,
        ptr,
        "double-free",
      );
    }
    // Everything else matched, so the size is what is wrong.
    return new PointerError(
      `Size ${size} does not match the allocation at ${at}, a ${classSize}-byte chunk`,
      ptr,
      "size-mismatch",
    );
  }
  if (kind === LARGE && rel === 0) {
    return new PointerError(
      `Size ${size} does not match the allocation at ${at}, a large block of ${
        table.largeSize[page]
      } bytes`,
      ptr,
      "size-mismatch",
    );
  }
  if (rel % 16 !== 0 && kind !== NONE && kind !== HEADER_PAGE) {
    return new PointerError(
      `Pointer ${at} is not 16-byte aligned, so it is no allocation of this heap`,
      ptr,
      "unaligned",
    );
  }
  if (kind === EMPTY) {
    return new PointerError(
      `Pointer ${at} is in the span at ${
        hex(page * SPAN_SIZE)
      }, which has been released because all its chunks are free: double free`,
      ptr,
      "double-free",
    );
  }
  if (kind === FREED_LARGE && rel === 0) {
    return new PointerError(
      `Pointer ${at} is a large block that has been freed already: double free`,
      ptr,
      "double-free",
    );
  }
  if (kind === HEADER_PAGE) {
    return new PointerError(
      `Pointer ${at} is in a header page of this heap, which holds no allocations`,
      ptr,
      "foreign",
    );
  }
  if (ptr >= memoryBytes) {
    return new PointerError(
      `Pointer ${at} is outside the memory (${memoryBytes} bytes)`,
      ptr,
      "out-of-range",
    );
  }
  const block = kind === LARGE ? page : large.containing(page);
  if (block !== 0) {
    return new PointerError(
      `Pointer ${at} is inside the large block at ${
        hex(block * SPAN_SIZE)
      } but not its start (an interior pointer)`,
      ptr,
      "interior",
    );
  }
  return new PointerError(
    `Pointer ${at} is not an allocation of this heap (another allocator's, or never allocated)`,
    ptr,
    "foreign",
  );
}
