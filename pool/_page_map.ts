// The pool's page map: which slab holds each page of the memory, and where
// the page starts relative to that slab's block 0, so that free finds a
// pointer's slab and block offset with two reads of one typed array, a mask
// and an add — no division, no float arithmetic. A parent that packs slabs closer
// than pages (a heap) may start one inside a page another slab ends in:
// that page's second slab is kept apart (and found by the slow path).
//
//   page p:  pages[2p]     the slot holding the page's first byte (0: none)
//            pages[2p + 1] p · PAGE − first block of that slot (an int32: a
//                          pointer's offset in its slab is that + ptr % PAGE)
//            inside[p]     the slot of a slab that starts inside the page
//
// The slot and the offset sit side by side in one array: free reads one
// array's bounds and base, not two (bench/pool_bench.ts).
import { grow } from "../internal/grow.ts";
import { PAGE_SIZE } from "../internal/pages.ts";

/** The page size the map is indexed by (a local copy, which V8 folds in). */
export const PAGE = PAGE_SIZE;
/** log2(PAGE): a pointer's page is `ptr >>> PAGE_SHIFT`. */
export const PAGE_SHIFT = 31 - Math.clz32(PAGE);

/**
 * Per page: the slab (slot) of its first byte and the offset, as a pair in
 * `pages`; a slab that starts inside it.
 */
export interface PageMap {
  pages: Int32Array;
  inside: Int32Array;
}

/** An empty map. */
export const emptyPageMap = (): PageMap => ({
  pages: new Int32Array(0),
  inside: new Int32Array(0),
});

/**
 * Records slot `value` (or 0, to forget slot `s`) as the slab of every page
 * of the `slabSize` bytes at `ptr`, whose block 0 is at `first`, growing the
 * map as needed.
 */
export function mapSlabPages(
  map: PageMap,
  s: number,
  ptr: number,
  first: number,
  slabSize: number,
  value: number,
): void {
  const lastPage = Math.floor((ptr + slabSize - 1) / PAGE);
  if (lastPage >= map.inside.length) {
    const length = Math.max(lastPage + 1, 2 * map.inside.length);
    map.pages = grow(map.pages, new Int32Array(2 * length));
    map.inside = grow(map.inside, new Int32Array(length));
  }
  let page = Math.floor(ptr / PAGE);
  if (ptr % PAGE !== 0) {
    // The slab starts inside its first page, after another's bytes.
    if (value !== 0 || map.inside[page] === s) map.inside[page] = value;
    page++;
  }
  for (; page <= lastPage; page++) {
    if (value !== 0) {
      map.pages[2 * page] = value;
      map.pages[2 * page + 1] = page * PAGE - first;
    } else if (map.pages[2 * page] === s) {
      map.pages[2 * page] = 0;
      map.pages[2 * page + 1] = 0;
    }
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
  let s = map.pages[2 * page] ?? 0;
  if (s === 0 || ptr < starts[s] || ptr >= starts[s] + slabSize) {
    s = map.inside[page] ?? 0;
    if (s !== 0 && (ptr < starts[s] || ptr >= starts[s] + slabSize)) s = 0;
  }
  return s;
}
