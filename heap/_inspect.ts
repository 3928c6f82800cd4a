// Introspection over the span table: what a pointer points into, and the
// per-class statistics. Cold paths; they allocate their results.
import {
  BASE_CLASS,
  CHUNKS,
  CLASS_COUNT,
  CLASS_SIZE,
  SPAN_CLASSES,
  SPAN_SIZE,
} from "./_geometry.ts";
import type { LargeBlocks } from "./_large_blocks.ts";
import { isSpan, KIND, LARGE, NEXT, type SpanTable } from "./_span_table.ts";
import type { ClassStats, LargeInfo, SpanInfo } from "./heap_types.ts";

/** The span or large block that any byte `ptr` is in, or null. */
export function inspectPointer(
  table: SpanTable,
  large: LargeBlocks,
  ptr: number,
): SpanInfo | LargeInfo | null {
  if (!Number.isInteger(ptr) || ptr <= 0) return null;
  const page = Math.floor(ptr / SPAN_SIZE);
  const kind = table.get(page, KIND);
  if (isSpan(kind)) {
    return {
      kind: "span",
      span: page * SPAN_SIZE,
      classSize: CLASS_SIZE[kind - 1],
      chunksUsed: table.used(page),
      chunkCount: CHUNKS[kind - 1],
    };
  }
  const block = kind === LARGE ? page : large.containing(page);
  if (block === 0) return null;
  return {
    kind: "large",
    block: block * SPAN_SIZE,
    ptr: block * SPAN_SIZE,
    size: table.largeSize[block],
    capacity: table.largeCapacity[block],
  };
}

/**
 * One entry per size class, from walking each span class's partial and full
 * lists (an aligned twin's spans count with its class's).
 */
export function classStats(
  table: SpanTable,
  partial: Int32Array,
  full: Int32Array,
): ClassStats[] {
  const stats: ClassStats[] = Array.from({ length: CLASS_COUNT }, (_, cls) => ({
    classSize: CLASS_SIZE[cls],
    chunkCount: CHUNKS[cls],
    spans: 0,
    partialSpans: 0,
    fullSpans: 0,
    chunksUsed: 0,
    bytesUsed: 0,
  }));
  for (let cls = 0; cls < SPAN_CLASSES; cls++) {
    let partialSpans = 0, fullSpans = 0, chunksUsed = 0;
    for (let s = partial[cls]; s !== 0; s = table.get(s, NEXT)) {
      // An empty span kept as its class's span counts as empty, not partial.
      if (table.used(s) === 0) continue;
      partialSpans++;
      chunksUsed += table.used(s);
    }
    for (let s = full[cls]; s !== 0; s = table.get(s, NEXT)) {
      fullSpans++;
      chunksUsed += table.used(s);
    }
    const entry = stats[BASE_CLASS[cls]];
    entry.spans += partialSpans + fullSpans;
    entry.partialSpans += partialSpans;
    entry.fullSpans += fullSpans;
    entry.chunksUsed += chunksUsed;
    entry.bytesUsed += chunksUsed * CLASS_SIZE[cls];
  }
  return stats;
}
