// The parents that every arena test runs on: each page source, and a Heap on
// each page source. A new parent kind is one more line in `parents`.
import type { Allocator, PageSource } from "../os/mod.ts";
import { Heap } from "../heap/mod.ts";
import { sources } from "./_sources.ts";

/** A parent allocator for an arena test, and the page source under it. */
export interface Parent extends Disposable {
  parent: Allocator;
  pages: PageSource;
}

/** A named way to make a fresh parent. */
export interface ParentMaker {
  name: string;
  /**
   * Whether blocks start on a page boundary; on the heap they are only
   * 16-aligned, so offsets in a block differ for alignments above 16.
   */
  pageAligned: boolean;
  /** Makes a parent on a page source of `reserve` bytes (default 64 MiB). */
  make(reserve?: number): Parent;
}

const onPages = (pages: PageSource): Parent => ({
  parent: pages,
  pages,
  [Symbol.dispose]: () => pages.destroy(),
});

const onHeap = (pages: PageSource): Parent => {
  const heap = new Heap({ pages });
  return {
    parent: heap,
    pages,
    [Symbol.dispose]: () => {
      heap.destroy();
      pages.destroy();
    },
  };
};

/** OsPages, BufferPages, and a Heap on each. */
export const parents: ParentMaker[] = [
  ...sources.map((s) => ({
    name: s.name,
    pageAligned: true,
    make: (reserve?: number) => onPages(s.make({ reserve })),
  })),
  ...sources.map((s) => ({
    name: `Heap on ${s.name}`,
    pageAligned: false,
    make: (reserve?: number) => onHeap(s.make({ reserve })),
  })),
];
