/**
 * The heap's public types: {@linkcode HeapOptions}, and what a heap reports
 * about itself — {@linkcode SpanInfo} and {@linkcode LargeInfo} from
 * `Heap.inspect`, {@linkcode ClassStats} from `Heap.classStats`.
 *
 * @module
 */
import type { PageSource } from "../os/page_source.ts";

/**
 * Options for {@linkcode Heap}.
 *
 * @example Two heaps sharing one page source
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using a = new Heap({ pages });
 * using b = new Heap({ pages });
 * const p = a.alloc(32);
 * assert.throws(() => b.free(p)); // not b's pointer
 * a.free(p);
 * ```
 */
export interface HeapOptions {
  /**
   * Where the heap gets its segments and large blocks. Without it the heap
   * makes its own `defaultPages()` and destroys it in `Heap.destroy`.
   * A page source passed in is left alive (several heaps may share one).
   */
  pages?: PageSource;
  /**
   * How long a segment whose spans are all empty is kept before it goes
   * back to the page source, in milliseconds: between half of it and all
   * of it (a timer looks every `decayMs / 2` and gives back, purged, the
   * segments empty at two looks in a row); default: the page source's
   * `decayMs`. `Infinity` keeps segments until `Heap.trim` or
   * `Heap.destroy`. At most 2^31 − 1 (about 24.8 days) if finite.
   */
  decayMs?: number;
}

/**
 * What `Heap.inspect` reports for a pointer inside a live span.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(50);
 * const info = heap.inspect(p);
 * assert.equal(info?.kind, "span");
 * assert.deepEqual(info, {
 *   kind: "span",
 *   span: p - 48, // the first chunk of a fresh span
 *   classSize: 64,
 *   chunksUsed: 1,
 *   chunkCount: 63,
 * });
 * ```
 */
export interface SpanInfo {
  /** Always `"span"`. */
  kind: "span";
  /** The span's first byte (a multiple of 4096); chunks start 48 bytes in. */
  span: number;
  /** The size of every chunk in the span, one of the 16 class sizes. */
  classSize: number;
  /** Chunks allocated. */
  chunksUsed: number;
  /** Chunks the span holds: `floor(4048 / classSize)`. */
  chunkCount: number;
}

/**
 * What `Heap.inspect` reports for a pointer inside a large block.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(5000);
 * assert.deepEqual(heap.inspect(p + 100), {
 *   kind: "large",
 *   block: p, // a large block starts on a page
 *   ptr: p,
 *   size: 5000,
 *   capacity: 8192,
 * });
 * ```
 */
export interface LargeInfo {
  /** Always `"large"`. */
  kind: "large";
  /** The block's first byte (a multiple of 4096). */
  block: number;
  /** The pointer the allocation was handed out as: `block` itself. */
  ptr: number;
  /** The size requested (or last resized to). */
  size: number;
  /** The block's size in bytes: `roundUp(size, 4096)` when allocated. */
  capacity: number;
}

/**
 * Per-class statistics, from `Heap.classStats`.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * for (let i = 0; i < 5; i++) heap.alloc(1000); // class 1008, 4 per span
 * const stats = heap.classStats().find((c) => c.classSize === 1008)!;
 * assert.equal(stats.spans, 2);
 * assert.equal(stats.fullSpans, 1);
 * assert.equal(stats.chunksUsed, 5);
 * assert.equal(stats.bytesUsed, 5 * 1008);
 * ```
 */
export interface ClassStats {
  /** The class size in bytes. */
  classSize: number;
  /** Chunks per span of this class. */
  chunkCount: number;
  /** Live spans of this class (partial plus full). */
  spans: number;
  /** Spans with free chunks left. */
  partialSpans: number;
  /** Spans with every chunk allocated. */
  fullSpans: number;
  /** Chunks allocated. */
  chunksUsed: number;
  /** `chunksUsed × classSize`: this class's share of `bytesUsed`. */
  bytesUsed: number;
}
