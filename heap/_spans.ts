// The slow side of the heap's small path (docs/design.md#span-lists): each
// class's partial and full span lists, the moves between them and the
// shared empty-span list, and the repair of a broken free list. The fast
// path in heap.ts reads `partial` and the span table itself and calls in
// here only when a span fills, empties or runs out.
import { zeroBytes } from "../internal/bytes.ts";
import { hex } from "../internal/checks.ts";
import { HeapCorruptionError } from "../os/errors.ts";
import type { Memory } from "../os/memory.ts";
import {
  CHUNKS,
  CLASS_SIZE,
  FIRST_CHUNK,
  SPAN_CLASSES,
  SPAN_HEADER,
  SPAN_SIZE,
} from "./_geometry.ts";
import type { Segments } from "./_segments.ts";
import {
  FRESH,
  KIND,
  LIST,
  MOVE_AT,
  NEXT,
  type SpanTable,
} from "./_span_table.ts";

/**
 * The span lists of one heap's 28 span classes (the 16 size classes and
 * their aligned twins).
 *
 * ```
 *  partial[cls] ─► span (first: where alloc takes from) ─► span ─► … ─► 0
 *  full[cls]    ─► span (no free chunk) ─► … ─► 0
 *  segments.emptyTop ─► empty span (any class may take it) ─► … ─► 0
 * ```
 *
 * A class's only partial span stays its span when it empties (no list
 * moves, nothing to zero); it counts as empty, and goes to the empty list
 * when another class finds no span, on trim() or by decay.
 */
export class SpanLists {
  /** Each class's first partial span (0: none): the fast path's start. */
  readonly partial: Int32Array = new Int32Array(SPAN_CLASSES);
  /** Each class's first full span. */
  readonly full: Int32Array = new Int32Array(SPAN_CLASSES);
  /** Spans on the class lists. */
  listed = 0;
  // Whether an emptied span needs no decay timer armed (one is, or decay
  // is off): part of each first partial span's MOVE_AT word.
  #timed = false;
  readonly #table: SpanTable;
  readonly #segments: Segments;
  readonly #memory: Memory;

  constructor(table: SpanTable, segments: Segments, memory: Memory) {
    this.#table = table;
    this.#segments = segments;
    this.#memory = memory;
  }

  /** The class's partial span if it is empty (kept as its span), else 0. */
  keptEmpty(cls: number): number {
    const span = this.partial[cls];
    return span !== 0 && this.#table.used(span) === 0 ? span : 0;
  }

  /** Every class's kept empty span, if any. */
  kept(): number[] {
    const kept: number[] = [];
    for (let cls = 0; cls < SPAN_CLASSES; cls++) {
      const span = this.keptEmpty(cls);
      if (span !== 0) kept.push(span);
    }
    return kept;
  }

  /** Spans holding at least one allocation. */
  get liveSpans(): number {
    return this.listed - this.kept().length;
  }

  /**
   * The sum of the class sizes of live small allocations, counted from the
   * spans' live counts: the fast paths keep no running total (one less
   * load and store per call, measured by bench/alloc_bench.ts).
   */
  bytesUsed(): number {
    const t = this.#table;
    let bytes = 0;
    for (let cls = 0; cls < SPAN_CLASSES; cls++) {
      let chunks = 0;
      for (let s = this.partial[cls]; s !== 0; s = t.get(s, NEXT)) {
        chunks += t.used(s);
      }
      for (let s = this.full[cls]; s !== 0; s = t.get(s, NEXT)) {
        chunks += t.used(s);
      }
      bytes += chunks * CLASS_SIZE[cls];
    }
    return bytes;
  }

  /**
   * The span's last chunk was freed: its class's only partial span stays
   * where it is, ready for the next allocation; any other goes to the empty
   * list.
   */
  emptied(span: number, cls: number): void {
    if (this.partial[cls] !== span || this.#table.get(span, NEXT) !== 0) {
      this.retire(span, cls);
    }
  }

  /**
   * The first partial span is full now: it moves to the full list, and
   * back at the free that leaves one chunk of it free.
   */
  toFull(span: number, cls: number): void {
    this.#table.unlink(this.partial, cls, span);
    this.#table.pushFront(this.full, cls, span);
    this.#table.set(span, MOVE_AT, CHUNKS[cls] - 1);
    this.#markMoveAt(cls);
  }

  /**
   * Notes whether an emptied span needs no decay timer armed (one is, or
   * decay is off), for every class's MOVE_AT word.
   */
  setTimed(timed: boolean): void {
    this.#timed = timed;
    for (let cls = 0; cls < SPAN_CLASSES; cls++) this.#markMoveAt(cls);
  }

  // Sets the MOVE_AT word of the class's first partial span (-1: its
  // emptying free needs nothing more) and that of the span behind it, the
  // one a push put there (0: it moves when it empties): called after every
  // change of a partial list. A span off the partial lists gets its word
  // set again when it comes back to the front of one.
  #markMoveAt(cls: number): void {
    const t = this.#table, span = this.partial[cls];
    if (span === 0) return;
    const next = t.get(span, NEXT);
    t.set(span, MOVE_AT, next === 0 && this.#timed ? -1 : 0);
    if (next !== 0) t.set(next, MOVE_AT, 0);
  }

  /**
   * A full span got a free chunk: it moves to the front of the partial list
   * (an empty span kept there goes to the empty list: only the first partial
   * span may be empty).
   */
  toPartial(span: number, cls: number): void {
    const kept = this.keptEmpty(cls);
    if (kept !== 0) this.retire(kept, cls);
    this.#table.unlink(this.full, cls, span);
    this.#table.pushFront(this.partial, cls, span);
    this.#markMoveAt(cls);
  }

  /**
   * Puts an empty span on the shared empty list as it is. Its bytes
   * [SPAN_HEADER, fresh) may hold old data (a twin's from its first chunk); {@linkcode SpanLists.take}
   * zeroes them.
   */
  retire(span: number, cls: number): void {
    this.#table.unlink(this.partial, cls, span);
    this.#segments.pushEmpty(span);
    this.listed--;
    this.#markMoveAt(cls);
  }

  /** Every class's kept empty span goes to the empty list. */
  retireKept(): void {
    for (let cls = 0; cls < SPAN_CLASSES; cls++) {
      const kept = this.keptEmpty(cls);
      if (kept !== 0) this.retire(kept, cls);
    }
  }

  /**
   * Takes a span off the empty list and makes it the first partial span of
   * the class. If the list is empty, an empty span kept by another class is
   * taken first, and only then a new segment (whose error passes through,
   * nothing changed).
   */
  take(cls: number): number {
    const segments = this.#segments;
    for (
      let other = 0;
      other < SPAN_CLASSES && segments.emptyTop === 0;
      other++
    ) {
      const kept = this.keptEmpty(other);
      if (kept !== 0) this.retire(kept, other);
    }
    if (segments.emptyTop === 0) segments.add();
    const t = this.#table;
    const span = segments.popEmpty();
    // A span that held chunks before may hold old data below its fresh
    // offset (and only there): zero that part at once.
    const fresh = t.get(span, FRESH);
    if (fresh !== SPAN_HEADER) {
      const base = span * SPAN_SIZE;
      zeroBytes(this.#memory, base + SPAN_HEADER, base + fresh);
    }
    t.set(span, FRESH, FIRST_CHUNK[cls]);
    t.set(span, KIND, cls + 1);
    t.set(span, LIST, 0);
    this.listed++;
    t.pushFront(this.partial, cls, span);
    this.#markMoveAt(cls);
    return span;
  }

  /** Forgets every list (for destroy). */
  reset(): void {
    this.partial.fill(0);
    this.full.fill(0);
    this.listed = 0;
  }
}

/**
 * The cold path of a broken free list (docs/design.md#free-list-repair):
 * rebuilds the span's list from its bitmap and returns the error to throw.
 * `rel` is the free chunk whose link `next` is no free chunk, or 0 when the
 * list ran out with free chunks left unreachable.
 */
export function repairSpan(
  table: SpanTable,
  u32: Uint32Array,
  span: number,
  cls: number,
  rel: number,
  next: number,
): HeapCorruptionError {
  const listed = table.rebuildFreeList(span, cls, u32, rel);
  const at = span * SPAN_SIZE;
  const where = `the span of ${CLASS_SIZE[cls]}-byte chunks at ${hex(at)}`;
  const found = rel !== 0
    ? `free chunk ${hex(at + rel)} of ${where} links to offset ${
      hex(next)
    }, which is no free chunk of the span`
    : `${listed === 1 ? "1 free chunk" : `${listed} free chunks`} of ${where} ${
      listed === 1 ? "was" : "were"
    } on no free list (a link was overwritten with a later free chunk's offset)`;
  return new HeapCorruptionError(
    `Write after free found: ${found}. The heap rebuilt the span's free list from its allocation bitmap, so no chunk is lost or handed out twice; this call allocated nothing and can be repeated (a DebugAllocator finds the code that wrote after free)`,
    rel !== 0
      ? { span: at, chunk: at + rel, link: next, repaired: true }
      : { span: at, repaired: true },
  );
}
