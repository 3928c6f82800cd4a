// The pool's page map: which slab holds each page of the memory, so that
// free finds a pointer's slab with one typed-array read. A parent that packs
// slabs closer than pages (a heap) may start one inside a page another slab
// ends in: that page's second slab is kept apart.
import { grow } from "../internal/grow.ts";
import { PAGE_SIZE } from "../internal/pages.ts";

/** The page size the map is indexed by (a local copy, which V8 folds in). */
export const PAGE = PAGE_SIZE;

/** The slab (slot) of each page's first byte, and of a slab starting inside. */
export interface PageMap {
  slab: Int32Array;
  inside: Int32Array;
}

/** An empty map. */
export const emptyPageMap = (): PageMap => ({
  slab: new Int32Array(0),
  inside: new Int32Array(0),
});

/**
 * Records slot `value` (or 0, to forget slot `s`) as the slab of every page
 * of the `slabSize` bytes at `ptr`, growing the map as needed.
 */
export function mapSlabPages(
  map: PageMap,
  s: number,
  ptr: number,
  slabSize: number,
  value: number,
): void {
  const lastPage = Math.floor((ptr + slabSize - 1) / PAGE);
  if (lastPage >= map.slab.length) {
    const length = Math.max(lastPage + 1, 2 * map.slab.length);
    map.slab = grow(map.slab, new Int32Array(length));
    map.inside = grow(map.inside, new Int32Array(length));
  }
  let page = Math.floor(ptr / PAGE);
  if (ptr % PAGE !== 0) {
    // The slab starts inside its first page, after another's bytes.
    if (value !== 0 || map.inside[page] === s) map.inside[page] = value;
    page++;
  }
  for (; page <= lastPage; page++) {
    if (value !== 0 || map.slab[page] === s) map.slab[page] = value;
  }
}

/**
 * The slot of the slab holding `ptr`, or 0: `starts` holds each slot's slab
 * start, every slab `slabSize` bytes.
 */
export function slabAt(
  map: PageMap,
  starts: Float64Array,
  slabSize: number,
  ptr: number,
): number {
  const page = Math.floor(ptr / PAGE);
  let s = map.slab[page] ?? 0;
  if (s === 0 || ptr < starts[s] || ptr >= starts[s] + slabSize) {
    s = map.inside[page] ?? 0;
    if (s !== 0 && ptr < starts[s]) s = 0;
  }
  return s;
}
