// The slow way of free and resize: finds the live block a pointer names, or
// says with the library's PointerError reasons why there is none.
import { checkPointer, checkSize, hex } from "../internal/checks.ts";
import { PointerError } from "../os/errors.ts";
import { type PageMap, slabAt } from "./_page_map.ts";
import { LIVE } from "./_slab_rows.ts";

/** What of a pool the search reads. */
export interface Blocks {
  memoryBytes: number;
  map: PageMap;
  slab: Float64Array;
  first: Float64Array;
  next: Uint16Array;
  blocksPerSlab: number;
  stride: number;
  slabSize: number;
  blockSize: number;
  alignment: number;
  bias: number;
}

/**
 * The block index (slot × blocksPerSlab + index) of the live block at
 * `ptr`, with `size` at most blockSize; throws saying why if there is none
 * (`what` names the size in messages).
 */
export function locateBlock(
  b: Blocks,
  ptr: number,
  size: number | undefined,
  what: string,
): number {
  checkPointer(ptr);
  if (size !== undefined) checkSize(size, Number.MAX_SAFE_INTEGER, what);
  if (ptr >= b.memoryBytes) {
    throw new PointerError(
      `Pointer ${
        hex(ptr)
      } is past the end of the memory (${b.memoryBytes} bytes)`,
      ptr,
      "out-of-range",
    );
  }
  const s = slabAt(b.map, b.slab, b.slabSize, ptr);
  if (s === 0) {
    throw new PointerError(
      `Pointer ${
        hex(ptr)
      } is in no slab of this pool: free or resize it with the allocator that made it`,
      ptr,
      "foreign",
    );
  }
  const first = b.first[s];
  const n = b.blocksPerSlab;
  const i = Math.floor((ptr - first) / b.stride);
  if (ptr < first || i >= n || ptr !== first + i * b.stride) {
    const aligned = ((ptr + b.bias) & (b.alignment - 1)) === 0;
    const where = i >= 0 && i < n
      ? `inside block ${hex(first + i * b.stride)}, not its start`
      : `in the slab at ${hex(b.slab[s])} but in no block`;
    throw new PointerError(
      aligned
        ? `Pointer ${hex(ptr)} is ${where} (an interior pointer)`
        : `Pointer ${
          hex(ptr)
        } is not aligned to ${b.alignment} bytes, as this pool's blocks are: it is ${where}`,
      ptr,
      aligned ? "interior" : "unaligned",
    );
  }
  const g = s * n + i;
  if (b.next[g] !== LIVE) {
    throw new PointerError(
      `Pointer ${
        hex(ptr)
      } is a free block of this pool already (double free, or never allocated)`,
      ptr,
      "double-free",
    );
  }
  if (size !== undefined && size > b.blockSize) {
    throw new PointerError(
      `${what} ${size} does not match the block at ${
        hex(ptr)
      }: this pool's blocks are ${b.blockSize} bytes`,
      ptr,
      "size-mismatch",
    );
  }
  return g;
}
