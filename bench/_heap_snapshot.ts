// What a heap holds, page by page, as plain data for the heap map
// (`_heap_map.ts`). Built here from the public API: the page source's live
// runs (`runSize`) and `Heap.inspect` on each, walking the range up to the
// high-water mark, and the classes of `Heap.classStats`.
import type { Heap } from "../heap/mod.ts";

/** A live span: its class, and how many of its chunks are allocated. */
export interface SpanSnapshot {
  classSize: number;
  used: number;
  capacity: number;
}

/**
 * A heap's state: its segments (a header page and 15 spans each, in address
 * order; `null` is an empty span), its large blocks, the free page runs of
 * its page source, and the page source's counters. Addresses are byte
 * offsets; every run is whole 4 KiB pages.
 */
export interface HeapSnapshot {
  /** Every class size of the heap, smallest first (spans or not). */
  classSizes: number[];
  /** The heap's own page. */
  heapPage: number;
  segments: { address: number; spans: (SpanSnapshot | null)[] }[];
  large: { address: number; size: number; capacity: number }[];
  /**
   * Free runs below the page source's top; `state` says whether their pages
   * are kept for reuse or given back, where the source can tell.
   */
  free: { address: number; pages: number; state?: "retained" | "purged" }[];
  /**
   * Freed medium blocks the heap keeps for reuse (`Heap.retainedBytes`):
   * live runs of the page source that are no block, segment or heap page,
   * up to that many bytes.
   */
  kept: { address: number; pages: number }[];
  /** Live runs of the page source that are not the heap's (a shared source). */
  foreign: { address: number; pages: number }[];
  pages: {
    reservedBytes: number;
    liveBytes: number;
    retainedBytes: number;
    purgedBytes: number;
    touchedBytes: number;
  };
}

const PAGE = 4096;
const SEGMENT = 16 * PAGE;

/**
 * Walks a heap's page source from page 1 to its high-water mark.
 *
 * @param heap A live heap.
 * @returns Its state.
 */
export function snapshotHeap(heap: Heap): HeapSnapshot {
  const source = heap.pages;
  const shot: HeapSnapshot = {
    classSizes: heap.classStats().map((c) => c.classSize),
    heapPage: 0,
    segments: [],
    large: [],
    free: [],
    kept: [],
    foreign: [],
    pages: {
      reservedBytes: source.reservedBytes,
      liveBytes: source.liveBytes,
      retainedBytes: source.retainedBytes,
      purgedBytes: source.purgedBytes,
      touchedBytes: source.touchedBytes,
    },
  };
  // Free runs are all of one state when the counters say only one is held.
  const state = source.purgedBytes === 0
    ? "retained"
    : source.retainedBytes === 0
    ? "purged"
    : undefined;
  let keptBytes = 0;
  for (let at = PAGE; at < source.touchedBytes;) {
    const size = runAt(heap, at);
    if (size === 0) {
      const last = shot.free.at(-1);
      if (last && last.address + last.pages * PAGE === at) last.pages++;
      else shot.free.push({ address: at, pages: 1, ...(state && { state }) });
      at += PAGE;
      continue;
    }
    const info = heap.inspect(at);
    if (info?.kind === "large" && info.block === at) {
      const { size, capacity } = info;
      shot.large.push({ address: at, size, capacity });
    } else if (size === SEGMENT && heap.inspect(at) === null) {
      const spans: (SpanSnapshot | null)[] = [];
      for (let span = at + PAGE; span < at + SEGMENT; span += PAGE) {
        const s = heap.inspect(span);
        spans.push(
          s?.kind === "span"
            ? {
              classSize: s.classSize,
              used: s.chunksUsed,
              capacity: s.chunkCount,
            }
            : null,
        );
      }
      shot.segments.push({ address: at, spans });
    } else if (size === PAGE && shot.heapPage === 0) {
      shot.heapPage = at;
    } else if (keptBytes + size <= heap.retainedBytes) {
      keptBytes += size;
      shot.kept.push({ address: at, pages: size / PAGE });
    } else {
      shot.foreign.push({ address: at, pages: size / PAGE });
    }
    at += size;
  }
  return shot;
}

// The size of the live run starting at `at`, or 0 if `at` is a free page.
function runAt(heap: Heap, at: number): number {
  try {
    return heap.pages.runSize(at);
  } catch {
    return 0;
  }
}
