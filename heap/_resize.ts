// The body of Heap.resize and Heap.realloc for a live allocation: stay in
// place when the new size fits (same class, or a large block that fits or
// grows in place), else move (copying `min(old, new)` bytes) and free.
import { copyBytes, zeroBytes } from "../internal/bytes.ts";
import { checkSize } from "../internal/checks.ts";
import { overAligned } from "./_alignment.ts";
import { CHUNK_SHIFT, CLASS_OF, CLASS_SIZE, MAX_SMALL } from "./_geometry.ts";
import type { HeapState } from "./_heap_state.ts";
import { KIND, LARGE } from "./_span_table.ts";

/**
 * Heap.resize: checks the alignment, then `oldSize`, then resizes as
 * {@linkcode resizeBlock} does.
 */
export function checkedResize(
  state: HeapState,
  ptr: number,
  oldSize: number,
  newSize: number,
  alignment: number | undefined,
): number {
  const over = alignment !== undefined && overAligned(alignment);
  if (ptr !== 0) checkSize(oldSize, Number.MAX_SAFE_INTEGER, "Old size");
  return resizeBlock(
    state,
    ptr,
    oldSize,
    newSize,
    over ? alignment : undefined,
  );
}

/**
 * Heap.realloc, and Heap.resize once checked: resizes the allocation at
 * `ptr` to `newSize` (0 frees; `ptr` 0 allocates). `alignment` is above 16,
 * or undefined for the natural 16; with one, the block returned is a large
 * one, unless a chunk at an aligned address stays in its class. If it
 * throws, the old allocation is untouched.
 */
export function resizeBlock(
  state: HeapState,
  ptr: number,
  oldSize: number | undefined,
  newSize: number,
  alignment: number | undefined,
): number {
  if (ptr === 0) {
    // As Heap.alloc does.
    return alignment === undefined && newSize >>> 0 === newSize &&
        newSize <= MAX_SMALL
      ? state.allocSmall(newSize, 0)
      : state.allocLarge(newSize, 0, alignment);
  }
  const page = state.liveStart(ptr, oldSize);
  if (!(newSize >>> 0 === newSize && newSize <= state.maxSize)) {
    state.checkSize(newSize);
  }
  if (newSize === 0) {
    state.freeLive(page, ptr);
    return 0;
  }
  const t = state.table;
  const kind = t.get(page, KIND);
  const stays = alignment === undefined ||
    (ptr + state.bias) % alignment === 0;
  let keep: number;
  if (kind !== LARGE) {
    const classSize = CLASS_SIZE[kind - 1];
    if (
      stays && newSize <= MAX_SMALL &&
      CLASS_OF[(newSize + 15) >> CHUNK_SHIFT] === kind - 1
    ) {
      zeroBytes(state.memory, ptr + newSize, ptr + classSize);
      return ptr;
    }
    keep = Math.min(classSize, newSize);
  } else {
    // Without an alignment, a block shrunk to a class's size moves into a
    // chunk; with one, it stays a large block.
    if (stays && (newSize > MAX_SMALL || alignment !== undefined)) {
      try {
        return state.large.resize(page, newSize, alignment);
      } catch (e) {
        throw state.outOfMemory(e, newSize);
      }
    }
    keep = Math.min(t.largeSize[page], newSize);
  }
  // May throw: nothing has changed yet. The copy overwrites the first
  // `keep` bytes, so a small chunk need not be zeroed there first.
  const moved = alignment === undefined && newSize <= MAX_SMALL
    ? state.allocSmall(newSize, keep & ~15)
    : state.allocLarge(newSize, keep, alignment);
  copyBytes(state.memory, moved, ptr, keep);
  state.freeLive(page, ptr);
  return moved;
}
