// The heap's per-page metadata (docs/design.md#heap-tables): one Int32Array
// with a row of 16 words per page number, so that a pointer's metadata is one
// division and a few loads from a single array away, and a stray write into
// the heap's memory can never corrupt it.
import {
  BITMAP_WORD_SHIFT,
  CHUNK_SHIFT,
  CLASS_COUNT,
  CLASS_SIZE,
  FIRST_CHUNK,
  MAX_SMALL,
  SIZE_RANGE,
  SPAN_CLASSES,
  SPAN_SIZE,
} from "./_geometry.ts";
import { grow, refit, release } from "../internal/grow.ts";

// What a page is to the heap: its KIND word. 1..28 is a live span of span
// class `kind - 1` (1..16 the size classes, 17..28 their aligned twins), so
// the free path learns "live span" and its class in one load.
/** Not the heap's page (or not a first page). */
export const NONE = 0;
/** A span on the shared empty-span list. */
export const EMPTY = SPAN_CLASSES + 1;
/** A segment's header page, or the heap's own page. */
export const HEADER_PAGE = SPAN_CLASSES + 2;
/** The first page of a live large block. */
export const LARGE = SPAN_CLASSES + 3;
/** The first page of a large block freed since (for double-free messages). */
export const FREED_LARGE = SPAN_CLASSES + 4;

/** The largest size a span of kind 1..28 (span class kind - 1) serves. */
export const MAX_SIZE: Uint16Array = Uint16Array.from(
  { length: SPAN_CLASSES + 1 },
  (_, kind) => kind === NONE ? 0 : SIZE_RANGE[2 * kind - 1],
);
/** The smallest size a span of kind 1..28 serves. */
export const MIN_SIZE: Uint16Array = Uint16Array.from(
  { length: SPAN_CLASSES + 1 },
  (_, kind) => kind === NONE ? 0 : SIZE_RANGE[2 * kind - 2],
);

/**
 * Per size up to MAX_SMALL, bit `kind` set for every span kind (1..28)
 * whose chunks a free of that size may name (MIN_SIZE..MAX_SIZE of the
 * kind): free's one test of a size and a page's kind. No other kind has a
 * bit (shifts take the count mod 32: LARGE is 31, FREED_LARGE 32, so
 * bit 0).
 */
export const FITS: Int32Array = Int32Array.from(
  { length: MAX_SMALL + 1 },
  (_, size) => {
    let bits = 0;
    for (let kind = 1; kind <= SPAN_CLASSES; kind++) {
      if (MIN_SIZE[kind] <= size && size <= MAX_SIZE[kind]) bits |= 1 << kind;
    }
    return bits;
  },
);
/** {@linkcode FITS}'s row for a free without a size: every span kind. */
export const ANY_SPAN = (2 ** (SPAN_CLASSES + 1) - 2) | 0;

/** Whether a page kind is a live span (of span class `kind - 1`). */
export function isSpan(kind: number): boolean {
  return kind !== NONE && kind <= SPAN_CLASSES;
}

// The words of a page's row.
/** What the page is: NONE, a span's kind 1..16, EMPTY, HEADER_PAGE, LARGE… */
export const KIND = 0;
// Word 1 is unused.
/**
 * A span's free list and live count in one word, so that alloc and free
 * update both with one load and one store: the offset of its first free
 * chunk (0: none) in the low 12 bits ({@linkcode HEAD_MASK}), the chunks
 * allocated in it times {@linkcode USED_ONE} above them. Each free chunk
 * holds the offset of the next one in its first four bytes: the span's
 * free list.
 */
export const LIST = 2;
/** The bits of {@linkcode LIST} that hold the free list's first offset. */
export const HEAD_MASK = SPAN_SIZE - 1;
/** One allocated chunk in {@linkcode LIST}: the count is `list >>> 12`. */
export const USED_ONE = SPAN_SIZE;
/** The shift from {@linkcode LIST} to the span's live count. */
export const USED_SHIFT = 12;
/** Offset of the span's first chunk never handed out (FIRST_CHUNK when taken). */
export const FRESH = 3;
/** The slot of the span's segment (docs/design.md#segments). */
export const SLOT = 4;
/** Links of the list the span or large block is on (page numbers, 0 = none). */
export const NEXT = 5;
export const PREV = 6;
/**
 * Of a large block: how many of its pages may hold old bytes past its size
 * (the rest of the block past its size reads as zero).
 */
export const DIRTY_PAGES = 7;
/**
 * Of a live span (the same word): the live count at which a free must move
 * it between the span lists — its chunks less one while it is full (it goes
 * back to the partial list), 0 while it is partial (it empties), -1 (never)
 * while it is its class's only partial span and no decay timer needs arming
 * (one is armed, or decay is off). The span lists keep it, so that free
 * compares one word rather than asking the lists.
 */
export const MOVE_AT = 7;
/** Words 8..15: one bit per 16 bytes of the span, set at a live chunk's start. */
export const BITS = 8;
/** Words per page. */
export const ROW = 16;

// How the table grows: by a quarter, from 64 pages.
const GROWTH = 1.25;
const MIN_PAGES = 64;

/**
 * Per-page metadata of one heap, grown on demand to cover the highest page it
 * uses.
 *
 * ```
 *  meta, row of page p (p × 16 …):
 *   0 KIND  2 LIST (free head | used × 4096)  3 FRESH  4 SLOT  5 NEXT
 *   6 PREV
 *   7 DIRTY_PAGES (large blocks) or MOVE_AT (spans)  8..15 BITS
 *  largeSize[p], largeCapacity[p]: a large block's size and run size
 *
 *  span p: [header 48 B][chunk][free chunk: next ─┐][chunk][free: 0]…
 *           LIST's head ──────────────────────────┘  (offsets in the span)
 * ```
 */
export class SpanTable {
  /** The rows, 16 words per page. */
  meta = new Int32Array(0);
  /** A large block's size, at its first page. */
  largeSize = new Float64Array(0);
  /** A large block's run size, at its first page. */
  largeCapacity = new Float64Array(0);
  /**
   * Called with the new `meta` whenever it is replaced, so the heap's fast
   * paths can hold the array itself rather than reach it through the table.
   */
  onMeta: (meta: Int32Array) => void = () => {};

  /** Page numbers the table covers. */
  get pages(): number {
    return this.largeSize.length;
  }

  /**
   * Grows the table to cover page numbers below `pages`: by a quarter at
   * least (at most a quarter more than the high-water mark, where doubling
   * kept up to twice), and 64 pages at least.
   */
  ensurePages(pages: number): void {
    if (pages <= this.largeSize.length) return;
    const length = Math.max(
      pages,
      Math.ceil(this.largeSize.length * GROWTH),
      MIN_PAGES,
    );
    const old = [this.meta, this.largeSize, this.largeCapacity];
    this.meta = grow(this.meta, new Int32Array(length * ROW));
    this.largeSize = grow(this.largeSize, new Float64Array(length));
    this.largeCapacity = grow(this.largeCapacity, new Float64Array(length));
    this.onMeta(this.meta);
    old.forEach(release);
  }

  /**
   * Cuts the table to cover page numbers below `pages` (at least 64), if it
   * covers more: the rows past it must be of pages the heap no longer holds
   * (read as NONE afterwards, as rows past the table do).
   */
  shrinkTo(pages: number): void {
    const length = Math.max(pages, MIN_PAGES);
    if (length >= this.largeSize.length) return;
    const old = [this.meta, this.largeSize, this.largeCapacity];
    this.meta = refit(this.meta, new Int32Array(length * ROW));
    this.largeSize = refit(this.largeSize, new Float64Array(length));
    this.largeCapacity = refit(this.largeCapacity, new Float64Array(length));
    this.onMeta(this.meta);
    old.forEach(release);
  }

  /** The bytes the table's arrays hold. */
  get bytes(): number {
    return this.meta.byteLength + this.largeSize.byteLength +
      this.largeCapacity.byteLength;
  }

  /** Forgets everything: every page reads as NONE afterwards. */
  reset(): void {
    this.meta = new Int32Array(0);
    this.largeSize = new Float64Array(0);
    this.largeCapacity = new Float64Array(0);
    // Page 0's row, all zero, is every fast path's way to the slow one.
    this.onMeta(new Int32Array(ROW));
  }

  /** Word `field` of page `page`'s row (0 beyond the table). */
  get(page: number, field: number): number {
    return page < this.largeSize.length ? this.meta[page * ROW + field] : 0;
  }

  /** Sets word `field` of page `page`'s row. */
  set(page: number, field: number, value: number): void {
    this.meta[page * ROW + field] = value;
  }

  /** The chunks allocated in the span `span`. */
  used(span: number): number {
    return this.get(span, LIST) >>> USED_SHIFT;
  }

  /** The offset of the span's first free chunk (0: none). */
  freeHead(span: number): number {
    return this.get(span, LIST) & HEAD_MASK;
  }

  /** Whether the chunk at offset `rel` (16-aligned) of `span` is allocated. */
  isAllocated(span: number, rel: number): boolean {
    return (this.meta[span * ROW + BITS + (rel >> BITMAP_WORD_SHIFT)] &
      (1 << ((rel >> CHUNK_SHIFT) & 31))) !== 0;
  }

  /**
   * Rebuilds the free list of the live span `span` of class `cls`, which a
   * write after free broke, from what the table knows (docs/design.md#free-list-repair):
   * every chunk handed out (below FRESH) whose bit is clear, lowest first,
   * but `last` (the free chunk whose link was overwritten, or 0), which goes
   * at the end. The links are written through `u32`, the heap's memory.
   * Returns how many chunks the list holds.
   */
  rebuildFreeList(
    span: number,
    cls: number,
    u32: Uint32Array,
    last: number,
  ): number {
    const base = span * SPAN_SIZE, size = CLASS_SIZE[cls];
    let head = 0, listed = 0;
    if (last !== 0) {
      u32[(base + last) / 4] = 0;
      head = last;
      listed++;
    }
    for (
      let rel = this.get(span, FRESH) - size;
      rel >= FIRST_CHUNK[cls];
      rel -= size
    ) {
      if (rel === last || this.isAllocated(span, rel)) continue;
      u32[(base + rel) / 4] = head;
      head = rel;
      listed++;
    }
    this.set(span, LIST, (this.get(span, LIST) & ~HEAD_MASK) | head);
    return listed;
  }

  /** Pushes `page` on the front of the list whose head is `heads[list]`. */
  pushFront(heads: Int32Array, list: number, page: number): void {
    const m = this.meta;
    const top = heads[list];
    m[page * ROW + PREV] = 0;
    m[page * ROW + NEXT] = top;
    if (top !== 0) m[top * ROW + PREV] = page;
    heads[list] = page;
  }

  /** Takes `page` out of the list whose head is `heads[list]`. */
  unlink(heads: Int32Array, list: number, page: number): void {
    const m = this.meta;
    const prev = m[page * ROW + PREV], next = m[page * ROW + NEXT];
    if (prev === 0) heads[list] = next;
    else m[prev * ROW + NEXT] = next;
    if (next !== 0) m[next * ROW + PREV] = prev;
  }

  /** What a page is, in words, for messages. */
  describe(page: number): string {
    const kind = this.get(page, KIND);
    if (isSpan(kind)) {
      const aligned = kind > CLASS_COUNT ? "aligned " : "";
      return `a span of ${aligned}class ${CLASS_SIZE[kind - 1]}`;
    }
    return [
      "not the heap's",
      "empty",
      "a header",
      "a large block",
      "a freed large block",
    ][kind === NONE ? 0 : kind - SPAN_CLASSES];
  }
}
