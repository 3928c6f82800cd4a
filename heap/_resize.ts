// The body of Heap.resize and Heap.realloc for a live allocation: stay in
// place when the new size fits (same class, or a large block that fits or
// grows in place), else move (copying `min(old, new)` bytes) and free.
import { copyBytes, zeroBytes } from "../internal/bytes.ts";
import { checkSize } from "../internal/checks.ts";
import { overAligned } from "./_alignment.ts";
import { alignedClass, CLASS_SIZE, MAX_SMALL } from "./_geometry.ts";
import type { HeapState } from "./_heap_state.ts";
import { KIND, LARGE, MAX_SIZE, MIN_SIZE } from "./_span_table.ts";
import { OutOfMemoryError } from "../os/errors.ts";

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
 * or undefined for the natural 16. A block lands where `alloc(newSize,
 * alignment)` would put it — a chunk of a class or an aligned twin, or a
 * large block — but stays where it is when its address has the alignment
 * and it is that kind of block already and fits: a chunk whose span class
 * serves `newSize` (the sizes free accepts for it), a large block within
 * its capacity or growing in place. A large block resized to a chunk's
 * size within its capacity, whose address has the alignment, stays where
 * it is too (a large block of the new size) when there is no room for the
 * chunk: as in glibc, such a shrink never fails. If it throws, the old
 * allocation is untouched.
 */
export function resizeBlock(
  state: HeapState,
  ptr: number,
  oldSize: number | undefined,
  newSize: number,
  alignment: number | undefined,
): number {
  if (ptr === 0) return state.allocBlock(newSize, 0, alignment);
  const page = state.liveStart(ptr, oldSize);
  if (!(newSize >>> 0 === newSize && newSize <= state.maxSize)) {
    state.checkSize(newSize, "New size");
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
    if (stays && newSize <= MAX_SIZE[kind] && newSize >= MIN_SIZE[kind]) {
      zeroBytes(state.memory, ptr + newSize, ptr + classSize);
      return ptr;
    }
    keep = Math.min(classSize, newSize);
  } else {
    // A block shrunk to a chunk's size moves into one, if a class (or, with
    // an alignment, a twin) serves it; else it stays a large block.
    const toChunk = newSize <= MAX_SMALL &&
      (alignment === undefined || alignedClass(newSize, alignment) >= 0);
    if (stays && !toChunk) {
      try {
        return state.large.resize(page, newSize, alignment);
      } catch (e) {
        throw state.outOfMemory(e, newSize, alignment);
      }
    }
    keep = Math.min(t.largeSize[page], newSize);
  }
  // May throw: nothing has changed yet. The copy overwrites the first
  // `keep` bytes, so a small chunk need not be zeroed there first.
  let moved: number;
  try {
    moved = state.allocBlock(newSize, keep, alignment);
  } catch (e) {
    // No room for the chunk: a large block that fits stays (in place, as
    // within its capacity: large.resize cannot throw then).
    if (
      kind === LARGE && stays && newSize <= t.largeCapacity[page] &&
      e instanceof OutOfMemoryError
    ) return state.large.resize(page, newSize, alignment);
    throw e;
  }
  copyBytes(state.memory, moved, ptr, keep);
  state.freeLive(page, ptr);
  return moved;
}
