// The heap's full invariant walk (docs/design.md#what-validate-checks): every
// list, span, free-chunk stack, bitmap, large block and counter, and the
// bytes that must read as zero. It walks all of the heap's memory.
import { hex } from "../internal/checks.ts";
import { HeapCorruptionError } from "../os/errors.ts";
import type { PageSource } from "../os/page_source.ts";
import {
  CHUNKS,
  CLASS_COUNT,
  CLASS_SIZE,
  FIRST_CHUNK,
  SEGMENT_SIZE,
  SPAN_CLASSES,
  SPAN_HEADER,
  SPAN_SIZE,
  SPANS_PER_SEGMENT,
} from "./_geometry.ts";
import type { LargeBlocks } from "./_large_blocks.ts";
import {
  DIRTY_PAGES,
  EMPTY,
  FREED_LARGE,
  FRESH,
  HEADER_PAGE,
  KIND,
  LARGE,
  NEXT,
  PREV,
  type SpanTable,
} from "./_span_table.ts";

/** Everything of a heap that the walk reads. */
export interface HeapParts {
  table: SpanTable;
  large: LargeBlocks;
  pages: PageSource;
  partial: Int32Array;
  full: Int32Array;
  emptyTop: number;
  liveSpans: number;
  emptySpans: number;
  segments: readonly number[];
  ownPage: number;
  bytesUsed: number;
  bytesReserved: number;
  peakReserved: number;
}

/**
 * Throws a HeapCorruptionError naming the first inconsistency found, and
 * where (with the span, chunk and link of a broken free-list link). It
 * changes nothing.
 */
export function validateHeap(heap: HeapParts): void {
  const check = new Walk(heap);
  const seen = new Set<number>();
  let used = 0, spans = 0, kept = 0;
  const { table } = heap;
  for (let cls = 0; cls < SPAN_CLASSES; cls++) {
    for (const full of [false, true]) {
      const list = `${full ? "full" : "partial"} list of ${
        cls < CLASS_COUNT ? "" : "aligned "
      }class ${CLASS_SIZE[cls]}`;
      let prev = 0;
      const head = full ? heap.full[cls] : heap.partial[cls];
      for (let s = head; s !== 0; prev = s, s = table.get(s, NEXT)) {
        const where = `span ${hex(s * SPAN_SIZE)} on the ${list}`;
        if (seen.has(s)) corrupt(`${where} is listed twice (a cycle?)`);
        seen.add(s);
        if (table.get(s, PREV) !== prev) {
          corrupt(
            `${where} links back to page ${table.get(s, PREV)}, not ${prev}`,
          );
        }
        if (table.get(s, KIND) !== cls + 1) {
          corrupt(`${where} is marked ${table.describe(s)}`);
        }
        const n = table.used(s);
        // Only a class's only partial span may be empty (kept for reuse).
        const keptEmpty = !full && n === 0 && prev === 0 &&
          table.get(s, NEXT) === 0;
        if (
          full ? n !== CHUNKS[cls] : (n === 0 && !keptEmpty) || n >= CHUNKS[cls]
        ) {
          corrupt(`${where} has ${n} of ${CHUNKS[cls]} chunks used`);
        }
        check.span(s, cls, where);
        used += n * CLASS_SIZE[cls];
        if (keptEmpty) kept++;
        else spans++;
      }
    }
  }
  let empties = 0;
  for (let s = heap.emptyTop; s !== 0; s = table.get(s, NEXT)) {
    const where = `span ${hex(s * SPAN_SIZE)} on the empty-span list`;
    if (seen.has(s)) corrupt(`${where} is listed twice (a cycle?)`);
    seen.add(s);
    if (table.get(s, KIND) !== EMPTY) {
      corrupt(`${where} is marked ${table.describe(s)}`);
    }
    // [48, fresh) may hold the old chunks (zeroed when the span is taken);
    // the header and everything from `fresh` on were never written.
    const fresh = table.get(s, FRESH);
    if (
      fresh < SPAN_HEADER || fresh > SPAN_SIZE ||
      (fresh - SPAN_HEADER) % 16 !== 0
    ) {
      corrupt(`${where} has its first fresh byte at offset ${fresh}`);
    }
    check.zero(s * SPAN_SIZE, SPAN_HEADER, `the header of ${where}`);
    check.zero(
      s * SPAN_SIZE + fresh,
      SPAN_SIZE - fresh,
      `the never-used part of ${where}`,
    );
    empties++;
  }
  for (const segment of heap.segments) {
    const first = segment / SPAN_SIZE;
    const where = `segment ${hex(segment)}`;
    if (table.get(first, KIND) !== HEADER_PAGE) {
      corrupt(`the header of ${where} is marked ${table.describe(first)}`);
    }
    for (let s = first + 1; s <= first + SPANS_PER_SEGMENT; s++) {
      if (!seen.has(s)) {
        corrupt(`span ${hex(s * SPAN_SIZE)} of ${where} is on no list`);
      }
    }
    check.run(segment, SEGMENT_SIZE, where);
  }
  const held = heap.segments.length * SPANS_PER_SEGMENT;
  if (seen.size !== held) {
    corrupt(
      `${seen.size} spans are listed, but ${heap.segments.length} segments hold ${held}`,
    );
  }
  // The block list: the live blocks, and the medium cache's kept runs
  // (marked freed; checked against the cache below).
  let larges = 0, capacity = 0, prev = 0;
  const listedKept = new Set<number>();
  for (let b = heap.large.head; b !== 0; prev = b, b = table.get(b, NEXT)) {
    const where = `large block ${hex(b * SPAN_SIZE)}`;
    if (larges + listedKept.size > heap.large.listed) {
      corrupt(`the large-block list has a cycle`);
    }
    if (table.get(b, PREV) !== prev) {
      corrupt(`${where} links back to page ${table.get(b, PREV)}, not ${prev}`);
    }
    if (table.get(b, KIND) === FREED_LARGE) {
      listedKept.add(b);
      continue;
    }
    if (table.get(b, KIND) !== LARGE) {
      corrupt(`${where} is marked ${table.describe(b)}`);
    }
    const size = table.largeSize[b], cap = table.largeCapacity[b];
    if (
      !(size >= 0 && size <= cap && cap >= SPAN_SIZE && cap % SPAN_SIZE === 0)
    ) {
      corrupt(`${where} has size ${size} and capacity ${cap}`);
    }
    check.run(b * SPAN_SIZE, cap, where);
    // Past the size: old bytes up to DIRTY_PAGES, zero after them.
    const clean = Math.max(
      size,
      table.get(b, DIRTY_PAGES) * SPAN_SIZE,
    );
    check.zero(
      b * SPAN_SIZE + clean,
      cap - clean,
      `the bytes past the size of ${where}`,
    );
    used += size;
    capacity += cap;
    larges++;
  }
  // The medium cache's runs: freed blocks, each a live run of its pages.
  let cached = 0;
  const runs = new Set<number>();
  heap.large.cache.forEach((page, pages) => {
    const where = `the kept run ${hex(page * SPAN_SIZE)} of ${pages} pages`;
    if (runs.has(page)) corrupt(`${where} is kept twice`);
    if (!listedKept.has(page)) corrupt(`${where} is not on the block list`);
    if (table.largeCapacity[page] !== pages * SPAN_SIZE) {
      corrupt(`${where} has capacity ${table.largeCapacity[page]} in its row`);
    }
    runs.add(page);
    if (table.get(page, KIND) !== FREED_LARGE) {
      corrupt(`${where} is marked ${table.describe(page)}`);
    }
    check.run(page * SPAN_SIZE, pages * SPAN_SIZE, where);
    cached += pages * SPAN_SIZE;
  });
  expect("the bytes of kept runs", heap.large.cache.bytes, cached);
  expect("kept runs on the block list", listedKept.size, runs.size);
  expect("liveSpans", heap.liveSpans, spans);
  expect("emptySpans", heap.emptySpans, empties + kept);
  expect("largeBlocks", heap.large.count, larges);
  expect("large-block capacity", heap.large.capacity, capacity);
  expect("bytesUsed", heap.bytesUsed, used);
  expect(
    "bytesReserved",
    heap.bytesReserved,
    SPAN_SIZE + heap.segments.length * SEGMENT_SIZE + capacity + cached,
  );
  if (heap.peakReserved < heap.bytesReserved) {
    corrupt(`peakReserved ${heap.peakReserved} is below bytesReserved`);
  }
  check.run(heap.ownPage, SPAN_SIZE, "the heap's own page");
}

// The checks that read memory or the page source.
class Walk {
  #heap: HeapParts;
  #u8: Uint8Array;

  constructor(heap: HeapParts) {
    this.#heap = heap;
    this.#u8 = heap.pages.memory.u8;
  }

  // A live span of span class `cls`: its fresh offset, bitmap, free list,
  // chunk count and the bytes that were never handed out.
  span(span: number, cls: number, where: string): void {
    const table = this.#heap.table;
    const base = span * SPAN_SIZE;
    const classSize = CLASS_SIZE[cls];
    const first = FIRST_CHUNK[cls];
    const end = first + CHUNKS[cls] * classSize;
    const fresh = table.get(span, FRESH);
    if (fresh < first || fresh > end || (fresh - first) % classSize !== 0) {
      corrupt(`${where} has its first fresh chunk at offset ${fresh}`);
    }
    const handedOut = (rel: number) =>
      rel >= first && rel < fresh && (rel - first) % classSize === 0;
    let bits = 0;
    for (let rel = 0; rel < SPAN_SIZE; rel += 16) {
      if (!table.isAllocated(span, rel)) continue;
      if (!handedOut(rel)) {
        corrupt(
          `${where} marks offset ${rel} allocated, which is no handed-out chunk`,
        );
      }
      bits++;
    }
    const used = table.used(span);
    if (bits !== used) {
      corrupt(`${where} counts ${used} chunks used but marks ${bits}`);
    }
    // The free list: each link a handed-out chunk, free, listed once. Only
    // a write after free can break a link (the head is in the table).
    const u32 = this.#heap.pages.memory.u32;
    const listed = new Set<number>();
    for (let prev = 0, rel = table.freeHead(span); rel !== 0;) {
      const fault = !handedOut(rel)
        ? "no handed-out chunk"
        : table.isAllocated(span, rel)
        ? "a live chunk"
        : listed.has(rel)
        ? "on the free list already"
        : "";
      if (fault !== "") {
        const link = prev === 0
          ? `the free list of ${where} starts at offset ${hex(rel)}`
          : `free chunk ${hex(base + prev)} of ${where} links to offset ${
            hex(rel)
          }`;
        corrupt(`${link}, which is ${fault} (a write after free?)`, {
          span: base,
          chunk: prev === 0 ? undefined : base + prev,
          link: rel,
        });
      }
      listed.add(rel);
      // Past its link, a free chunk keeps its old bytes until it is reused.
      prev = rel;
      rel = u32[(base + rel) / 4];
    }
    const free = listed.size;
    const neverUsed = (end - fresh) / classSize;
    if (used + free + neverUsed !== CHUNKS[cls]) {
      corrupt(
        `${where} has ${used} chunks used, ${free} free and ${neverUsed} fresh, not ${
          CHUNKS[cls]
        } in all (free chunks lost from the free list by a write after free?)`,
        { span: base },
      );
    }
    // A twin's tail is before its first chunk: never written either.
    this.zero(base, first, `the header of ${where}`);
    this.zero(base + fresh, SPAN_SIZE - fresh, `the fresh part of ${where}`);
  }

  // `length` bytes at `ptr` read as zero.
  zero(ptr: number, length: number, where: string): void {
    const u8 = this.#u8;
    for (let i = ptr; i < ptr + length; i++) {
      if (u8[i] !== 0) {
        corrupt(
          `${where} should read as zero, but byte ${hex(i)} is ${
            u8[i]
          } (a write after free, or past the end?)`,
        );
      }
    }
  }

  // `ptr` is a live run of exactly `length` bytes of the page source.
  run(ptr: number, length: number, where: string): void {
    let size = -1;
    try {
      size = this.#heap.pages.runSize(ptr);
    } catch { /* reported below */ }
    if (size !== length) {
      corrupt(
        `${where} should be a live run of ${length} bytes of the page source, but is ${
          size === -1 ? "none" : size
        }`,
      );
    }
  }
}

function expect(what: string, actual: number, wanted: number): void {
  if (actual !== wanted) {
    corrupt(`${what} is ${actual}, but ${wanted} was found`);
  }
}

// `where`: the span, chunk and link of a broken free-list link, as known.
function corrupt(
  what: string,
  where: { span?: number; chunk?: number; link?: number } = {},
): never {
  throw new HeapCorruptionError(`Heap is inconsistent: ${what}`, where);
}
