// A pool's geometry from its options, every option checked before the pool
// takes anything: the block size, alignment, stride, slab size and blocks
// per slab.
import type { Allocator } from "../os/allocator.ts";
import {
  checkOptions,
  checkPowerOfTwo,
  checkSize,
} from "../internal/checks.ts";
import { PAGE_SIZE } from "../os/page_source.ts";
import { MAX_BLOCKS } from "./_slab_rows.ts";
import {
  DEFAULT_SLAB_SIZE,
  MAX_SLAB_SIZE,
  type PoolOptions,
} from "./pool_types.ts";

/** The largest alignment of a pool's blocks. */
export const MAX_POOL_ALIGNMENT = 65536;

// Room left in a default slab for the header a parent that is no page
// source may put before it (a heap's large block has 48 bytes).
const PARENT_HEADER = 64;

// Each slab holds at least this many blocks by default.
const MIN_DEFAULT_BLOCKS = 8;

/** What a pool is made of, derived from its options. */
export interface PoolGeometry {
  blockSize: number;
  alignment: number;
  stride: number;
  slabSize: number;
  blocksPerSlab: number;
}

/**
 * Checks the options and derives the geometry. `onPages`: the parent is a
 * page source (or none is given), so slabs are page-aligned.
 */
export function poolGeometry(
  options: PoolOptions,
  { onPages }: { onPages: boolean },
): PoolGeometry {
  checkOptions(options, "Pool", "{ blockSize: 24 }", [
    "blockSize",
    "alignment",
    "parent",
    "slabSize",
    "decayMs",
    "clock",
  ]);
  const { blockSize, parent } = options;
  if (blockSize === undefined) {
    throw new TypeError(
      "Pool options need a blockSize: the size of every block in bytes",
    );
  }
  checkSize(blockSize, MAX_SLAB_SIZE, "Block size", "the largest slab");
  if (blockSize === 0) {
    throw new RangeError("Block size must be at least 1 byte, got 0");
  }
  checkParent(parent);
  const alignment = options.alignment ?? Math.min(16, blockSize & -blockSize);
  checkPoolAlignment(alignment);
  const stride = Math.ceil(blockSize / alignment) * alignment;
  // The most the first block may sit past a slab's start: nothing on
  // page-aligned slabs (up to a page's alignment), else up to the alignment.
  const pad = onPages
    ? Math.max(0, alignment - PAGE_SIZE)
    : Math.max(0, alignment - 1);
  let slabSize = options.slabSize;
  if (slabSize === undefined) {
    const base = onPages
      ? DEFAULT_SLAB_SIZE
      : DEFAULT_SLAB_SIZE - PARENT_HEADER;
    const wanted = pad + MIN_DEFAULT_BLOCKS * stride;
    // Whole pages with the parent's header, less the header: rounding
    // `wanted` alone, then taking the header off, could leave it short.
    const header = onPages ? 0 : PARENT_HEADER;
    slabSize = wanted <= base ? base : Math.min(
      MAX_SLAB_SIZE,
      Math.ceil((wanted + header) / PAGE_SIZE) * PAGE_SIZE - header,
    );
  } else {
    checkSize(slabSize, MAX_SLAB_SIZE, "Slab size", "the largest slab");
  }
  if (pad + stride > slabSize) {
    throw new RangeError(
      `Block size ${blockSize} is more than a slab of ${slabSize} bytes can hold (${stride} bytes a block at alignment ${alignment}${
        pad > 0 ? `, after up to ${pad} bytes of padding` : ""
      }): use a larger slabSize, up to ${MAX_SLAB_SIZE}`,
    );
  }
  if (!onPages && slabSize < PAGE_SIZE) {
    throw new RangeError(
      `Slab size ${slabSize} is less than a page (${PAGE_SIZE} bytes): on a parent that is no page source, two such slabs could start in one page, which the pool's page map cannot tell apart; use ${PAGE_SIZE} or more`,
    );
  }
  const blocksPerSlab = Math.min(
    MAX_BLOCKS,
    Math.floor((slabSize - pad) / stride),
  );
  return { blockSize, alignment, stride, slabSize, blocksPerSlab };
}

/** Throws unless `alignment` is a power of two from 1 to 65536. */
export function checkPoolAlignment(alignment: number): void {
  checkPowerOfTwo(alignment, MAX_POOL_ALIGNMENT, String(MAX_POOL_ALIGNMENT));
}

function checkParent(parent: Allocator | undefined): void {
  if (
    parent === undefined ||
    (typeof parent?.alloc === "function" && typeof parent.free === "function" &&
      typeof parent.memory?.check === "function")
  ) return;
  throw new TypeError(
    "Parent must be an Allocator (with memory, alloc, resize and free)",
  );
}
