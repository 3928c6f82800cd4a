// The heap's per-page metadata (docs/design.md#the-span-table): one typed
// array per field, indexed by page number, so a pointer's metadata is one
// division and a few loads away, and a stray write into the heap's memory can
// never corrupt it.
import {
  BITMAP_WORD_SHIFT,
  BITMAP_WORDS,
  CHUNK_SHIFT,
  CLASS_COUNT,
  CLASS_SIZE,
  STACK_BYTES,
} from "./_geometry.ts";
import { grow } from "../os/_grow.ts";

// What a page is to the heap: `kind[page]`. 1..16 is a live span of class
// `kind - 1`, so the free path learns "live span" and its class in one load.
/** Not the heap's page (or not a first page). */
export const NONE = 0;
/** A span on the shared empty-span list. */
export const EMPTY = CLASS_COUNT + 1;
/** A segment's header page, or the heap's own page. */
export const HEADER_PAGE = CLASS_COUNT + 2;
/** The first page of a live large block. */
export const LARGE = CLASS_COUNT + 3;
/** The first page of a large block freed since (for double-free messages). */
export const FREED_LARGE = CLASS_COUNT + 4;

/** The largest and smallest size of each span kind 1..16 (class kind - 1). */
export const KIND_MAX = Uint16Array.of(0, ...CLASS_SIZE);
export const KIND_MIN = Uint16Array.of(
  0,
  0,
  ...CLASS_SIZE.subarray(0, CLASS_COUNT - 1).map((c) => c + 1),
);
/** Whether a page kind is a live span (of class `kind - 1`). */
export function isSpan(kind: number): boolean {
  return kind !== NONE && kind <= CLASS_COUNT;
}

/**
 * Per-page metadata of one heap, grown on demand to cover the highest page it
 * uses.
 *
 * ```
 *  page number p ─┬─ kind[p]        NONE | span of class 1..16 | EMPTY | HEADER_PAGE | LARGE | FREED_LARGE
 *                 ├─ used[p]        chunks allocated in the span
 *                 ├─ fresh[p]       offset of the first chunk never handed out (48 when taken)
 *                 ├─ freeCount[p]   chunks on the span's free-chunk stack
 *                 ├─ stackStart[p]  where that stack starts in `stacks` (256 bytes a span)
 *                 ├─ next[p] prev[p] links of the list the span or large block is on
 *                 ├─ allocated[8p .. 8p+7]  one bit per 16 bytes: set at a live chunk's start
 *                 └─ largeSize[p] largeCapacity[p]   a large block's size and run size
 *  stacks: [span 0's 256 bytes][span 1's 256 bytes] …   entries are offset >> 4, top last
 * ```
 */
export class SpanTable {
  kind = new Uint8Array(0);
  used = new Uint16Array(0);
  fresh = new Uint16Array(0);
  freeCount = new Uint8Array(0);
  stackStart = new Int32Array(0);
  next = new Int32Array(0);
  prev = new Int32Array(0);
  allocated = new Uint32Array(0);
  largeSize = new Float64Array(0);
  largeCapacity = new Float64Array(0);
  stacks = new Uint8Array(0);

  /** Page numbers the per-page arrays cover. */
  get pages(): number {
    return this.kind.length;
  }

  /** Grows the per-page arrays (doubling) to cover page numbers below `pages`. */
  ensurePages(pages: number): void {
    if (pages <= this.kind.length) return;
    const length = Math.max(pages, this.kind.length * 2, 64);
    this.kind = grow(this.kind, new Uint8Array(length));
    this.used = grow(this.used, new Uint16Array(length));
    this.fresh = grow(this.fresh, new Uint16Array(length));
    this.freeCount = grow(this.freeCount, new Uint8Array(length));
    this.stackStart = grow(this.stackStart, new Int32Array(length));
    this.next = grow(this.next, new Int32Array(length));
    this.prev = grow(this.prev, new Int32Array(length));
    this.allocated = grow(
      this.allocated,
      new Uint32Array(length * BITMAP_WORDS),
    );
    this.largeSize = grow(this.largeSize, new Float64Array(length));
    this.largeCapacity = grow(this.largeCapacity, new Float64Array(length));
  }

  /** Grows the free-chunk stacks (doubling) to hold `spans` spans' stacks. */
  ensureStacks(spans: number): void {
    if (spans * STACK_BYTES <= this.stacks.length) return;
    const length = Math.max(spans * STACK_BYTES, 2 * this.stacks.length);
    this.stacks = grow(this.stacks, new Uint8Array(length));
  }

  /** Forgets everything: every page reads as NONE afterwards. */
  reset(): void {
    this.kind = new Uint8Array(0);
    this.used = new Uint16Array(0);
    this.fresh = new Uint16Array(0);
    this.freeCount = new Uint8Array(0);
    this.stackStart = new Int32Array(0);
    this.next = new Int32Array(0);
    this.prev = new Int32Array(0);
    this.allocated = new Uint32Array(0);
    this.largeSize = new Float64Array(0);
    this.largeCapacity = new Float64Array(0);
    this.stacks = new Uint8Array(0);
  }

  /** The page's kind, or NONE for a page number the table does not cover. */
  kindOf(page: number): number {
    return page < this.kind.length ? this.kind[page] : NONE;
  }

  /** Whether the chunk at offset `rel` (16-aligned) of `span` is allocated. */
  isAllocated(span: number, rel: number): boolean {
    return (this.allocated[span * BITMAP_WORDS + (rel >> BITMAP_WORD_SHIFT)] &
      (1 << ((rel >> CHUNK_SHIFT) & 31))) !== 0;
  }

  /** Flips the allocated bit of the chunk at offset `rel` of `span`. */
  flipAllocated(span: number, rel: number): void {
    this.allocated[span * BITMAP_WORDS + (rel >> BITMAP_WORD_SHIFT)] ^= 1 <<
      ((rel >> CHUNK_SHIFT) & 31);
  }

  /** Pushes `page` on the front of the list whose head is `heads[list]`. */
  pushFront(heads: Int32Array, list: number, page: number): void {
    const top = heads[list];
    this.prev[page] = 0;
    this.next[page] = top;
    if (top !== 0) this.prev[top] = page;
    heads[list] = page;
  }

  /** Takes `page` out of the list whose head is `heads[list]`. */
  unlink(heads: Int32Array, list: number, page: number): void {
    const prev = this.prev[page], next = this.next[page];
    if (prev === 0) heads[list] = next;
    else this.next[prev] = next;
    if (next !== 0) this.prev[next] = prev;
  }

  /** What a page is, in words, for messages. */
  describe(page: number): string {
    const kind = this.kindOf(page);
    if (isSpan(kind)) return `a span of class ${CLASS_SIZE[kind - 1]}`;
    return [
      "not the heap's",
      "empty",
      "a header",
      "a large block",
      "a freed large block",
    ][kind === NONE ? 0 : kind - CLASS_COUNT];
  }
}
