// The heap's span policy against a plain model of the textbook policy
// (docs/design.md#span-lists): every emptied span goes to the shared
// empty-span list at once, last in first out, and a class with no partial
// span takes the list's top. The heap keeps a class's only partial span when
// it empties, to save the round trip; this test proves that its figures —
// live and empty spans, segments, bytesUsed, bytesReserved — stay those of
// the textbook policy after every operation of long random sequences (with
// the medium cache's runs, modelled too, in bytesReserved).
import assert from "node:assert/strict";
import fc from "fast-check";
import { Heap } from "../heap/mod.ts";
import { BufferPages } from "../os/mod.ts";
import { capacityOf, CLASSES, classOf, RunCacheModel } from "./_heap_model.ts";

const SPAN_CHUNKS = CLASSES.map((c) => Math.floor((4096 - 48) / c));

interface ModelSpan {
  cls: number;
  used: number;
}

/** The textbook policy, counting only. */
class Model {
  segments = 0;
  used = 0;
  large = 0;
  readonly cache = new RunCacheModel();
  #partial: ModelSpan[][] = CLASSES.map(() => []);
  #empty: ModelSpan[] = [];
  #live = new Set<ModelSpan>();

  get liveSpans(): number {
    return this.#live.size;
  }

  get reserved(): number {
    return 4096 + this.segments * 65536 + this.large + this.cache.bytes;
  }

  alloc(cls: number): ModelSpan {
    const partial = this.#partial[cls];
    if (partial.length === 0) {
      if (this.#empty.length === 0) {
        this.segments++;
        for (let i = 0; i < 15; i++) this.#empty.push({ cls: -1, used: 0 });
      }
      const span = this.#empty.pop()!;
      span.cls = cls;
      partial.unshift(span);
    }
    const span = partial[0];
    span.used++;
    this.used += CLASSES[cls];
    this.#live.add(span);
    if (span.used === SPAN_CHUNKS[cls]) partial.shift();
    return span;
  }

  free(span: ModelSpan): void {
    const partial = this.#partial[span.cls];
    span.used--;
    this.used -= CLASSES[span.cls];
    if (span.used === 0) {
      partial.splice(partial.indexOf(span), 1);
      this.#empty.push(span);
      this.#live.delete(span);
    } else if (span.used === SPAN_CHUNKS[span.cls] - 1) {
      partial.unshift(span);
    }
  }
}

const op = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      size: fc.oneof(
        fc.integer({ min: 0, max: 2016 }),
        fc.constantFrom(16, 64, 1008, 2016),
        fc.integer({ min: 2017, max: 9000 }),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("free" as const),
      pick: fc.nat(),
    }),
  },
);

Deno.test("Heap keeps the textbook policy's figures after every operation", () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 3000, maxLength: 3000 }), (ops) => {
      using pages = new BufferPages({ reserve: 2 ** 26 });
      using heap = new Heap({ pages });
      const model = new Model();
      const live: { ptr: number; size: number; span?: ModelSpan }[] = [];
      for (const o of ops) {
        if (o.kind === "alloc" || live.length === 0) {
          const size = o.kind === "alloc" ? o.size : 16;
          const cls = classOf(size);
          const span = cls === undefined
            ? undefined
            : model.alloc(CLASSES.indexOf(cls));
          if (span === undefined) {
            model.cache.pop(capacityOf(size));
            model.large += capacityOf(size);
            model.used += size;
          }
          live.push({ ptr: heap.alloc(size), size, span });
        } else {
          const [l] = live.splice(o.pick % live.length, 1);
          heap.free(l.ptr, l.size);
          if (l.span) model.free(l.span);
          else {
            model.large -= capacityOf(l.size);
            model.cache.push(capacityOf(l.size));
            model.used -= l.size;
          }
        }
        assert.equal(heap.liveSpans, model.liveSpans, "liveSpans");
        assert.equal(heap.segments, model.segments, "segments");
        assert.equal(heap.emptySpans, model.segments * 15 - model.liveSpans);
        assert.equal(heap.bytesUsed, model.used, "bytesUsed");
        assert.equal(heap.retainedBytes, model.cache.bytes, "retainedBytes");
        assert.equal(heap.bytesReserved, model.reserved, "bytesReserved");
      }
      heap.validate();
    }),
    { numRuns: 20 },
  );
});
