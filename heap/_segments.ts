// The heap's segments and the shared list of empty spans
// (docs/design.md#segments): 64 KiB runs from the page source, each a header
// page and 15 spans, kept while any of their spans is in use and given back
// (trimmed) once all 15 are empty.
import type { PageSource } from "../os/page_source.ts";
import {
  SEGMENT_SIZE,
  SPAN_HEADER,
  SPAN_SIZE,
  SPANS_PER_SEGMENT,
} from "./_geometry.ts";
import {
  EMPTY,
  FRESH,
  HEADER_PAGE,
  KIND,
  NEXT,
  NONE,
  SLOT,
  type SpanTable,
} from "./_span_table.ts";

/**
 * The segments of one heap, by slot, with the empty-span list threaded
 * through the span table's `next` links (last in, first out).
 *
 * ```
 *  slot:     0          1          2 (free)   3
 *  base:     0x11000    0x31000    0          0x52000
 *  empty:    3 of 15    15 of 15   –          0 of 15
 *  emptyTop ─► span ─► span ─► … ─► 0     (spans of any segment)
 * ```
 */
export class Segments {
  /** Live segments. */
  count = 0;
  /** The first span on the empty-span list, or 0. */
  emptyTop = 0;
  /** Spans on the empty-span list. */
  emptyListed = 0;
  #table: SpanTable;
  #pages: PageSource;
  #base: number[] = [];
  #empty: number[] = [];
  #idle: boolean[] = [];
  #freeSlots: number[] = [];

  constructor(table: SpanTable, pages: PageSource) {
    this.#table = table;
    this.#pages = pages;
  }

  /** The live segments' first bytes, in slot order. */
  get addresses(): number[] {
    return this.#base.filter((base) => base !== 0);
  }

  /** Puts an empty span on top of the empty-span list. */
  pushEmpty(span: number): void {
    const t = this.#table;
    t.set(span, KIND, EMPTY);
    t.set(span, NEXT, this.emptyTop);
    this.emptyTop = span;
    this.emptyListed++;
    this.#empty[this.#slotOf(span)]++;
  }

  /** Takes the top span off the empty-span list (there must be one). */
  popEmpty(): number {
    const span = this.emptyTop;
    this.emptyTop = this.#table.get(span, NEXT);
    this.emptyListed--;
    const slot = this.#slotOf(span);
    this.#empty[slot]--;
    this.#idle[slot] = false;
    return span;
  }

  /**
   * Takes a segment from the page source and lists its 15 spans as empty,
   * the lowest on top, so spans are handed out in ascending address order.
   * The page source's errors pass through; nothing changes then.
   */
  add(): void {
    const segment = this.#pages.alloc(SEGMENT_SIZE);
    const slot = this.#freeSlots.length > 0
      ? this.#freeSlots.pop()!
      : this.#base.length;
    const t = this.#table;
    const first = segment / SPAN_SIZE;
    t.ensurePages(first + SPANS_PER_SEGMENT + 1);
    t.set(first, KIND, HEADER_PAGE);
    this.#base[slot] = segment;
    this.#empty[slot] = 0;
    this.#idle[slot] = false;
    for (let s = first + SPANS_PER_SEGMENT; s > first; s--) {
      t.set(s, FRESH, SPAN_HEADER); // fresh pages: nothing to zero
      t.set(s, SLOT, slot);
      this.pushEmpty(s);
    }
    this.count++;
  }

  /**
   * Gives back every segment whose 15 spans are all on the empty list —
   * only those that were so at the previous call too when `idleTwice` (the
   * decay timer's rule) — through `give` (the page source's `free`, or a
   * free that also purges). Returns the bytes given back.
   */
  trim(
    give: (segment: number, size: number) => void,
    { idleTwice }: { idleTwice: boolean },
  ): number {
    const gone = new Set<number>();
    for (let slot = 0; slot < this.#base.length; slot++) {
      if (this.#base[slot] === 0) continue;
      const idle = this.#empty[slot] === SPANS_PER_SEGMENT;
      if (idle && (!idleTwice || this.#idle[slot])) gone.add(slot);
      this.#idle[slot] = idle;
    }
    if (gone.size === 0) return 0;
    // Drop their spans from the empty list, keeping the others' order.
    const t = this.#table;
    let last = 0;
    for (let s = this.emptyTop; s !== 0; s = t.get(s, NEXT)) {
      if (gone.has(this.#slotOf(s))) continue;
      if (last === 0) this.emptyTop = s;
      else t.set(last, NEXT, s);
      last = s;
    }
    if (last === 0) this.emptyTop = 0;
    else t.set(last, NEXT, 0);
    for (const slot of gone) {
      const segment = this.#base[slot];
      give(segment, SEGMENT_SIZE);
      const first = segment / SPAN_SIZE;
      for (let p = first; p <= first + SPANS_PER_SEGMENT; p++) {
        t.set(p, KIND, NONE);
      }
      this.#base[slot] = 0;
      this.#freeSlots.push(slot);
      this.emptyListed -= SPANS_PER_SEGMENT;
      this.count--;
    }
    return gone.size * SEGMENT_SIZE;
  }

  /** Whether some segment has all its spans on the empty list. */
  get anyIdle(): boolean {
    return this.#empty.some((n, slot) =>
      n === SPANS_PER_SEGMENT && this.#base[slot] !== 0
    );
  }

  /**
   * The bytes of the segments whose spans are all empty, counting `kept`
   * (empty spans not on the list) as empty too.
   */
  emptyBytes(kept: number[]): number {
    const empty = [...this.#empty];
    for (const span of kept) empty[this.#slotOf(span)]++;
    const idle = empty.filter((n, slot) =>
      n === SPANS_PER_SEGMENT && this.#base[slot] !== 0
    );
    return idle.length * SEGMENT_SIZE;
  }

  /** Forgets every segment, giving each back unless the source is destroyed. */
  releaseAll(): void {
    for (const segment of this.addresses) {
      if (!this.#pages.destroyed) this.#pages.free(segment, SEGMENT_SIZE);
    }
    this.#base = [];
    this.#empty = [];
    this.#idle = [];
    this.#freeSlots = [];
    this.count = this.emptyTop = this.emptyListed = 0;
  }

  #slotOf(span: number): number {
    return this.#table.get(span, SLOT);
  }
}
