// Deterministic tests of three heap rules that a mutation run found no test
// for: the decay rule's "empty at two looks in a row" (heap/_segments.ts)
// and that a span emptied after the timer stopped arms it again,
// classStats() of a kept empty span (heap/_inspect.ts), and the reason for a
// pointer just past the memory (heap/_pointer_errors.ts).
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import { BufferPages, type PageSource, PointerError } from "../os/mod.ts";
import { CLASSES } from "./_heap_model.ts";
import { type Case, runCase } from "./_run_ops.ts";
import { heapSubject } from "./_subjects.ts";
import { sources } from "./_sources.ts";

/**
 * Runs `body` with setTimeout and clearTimeout replaced by a queue that only
 * `fire()` runs, so that timer callbacks run exactly when the test says.
 */
function withManualTimers(
  body: (timers: { pending(): number; fire(): void }) => void,
): void {
  const queue = new Map<object, () => void>();
  const saved = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
  globalThis.setTimeout = ((callback: () => void) => {
    const timer = { unref() {} };
    queue.set(timer, callback);
    return timer;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((timer: object) => {
    queue.delete(timer);
  }) as unknown as typeof clearTimeout;
  try {
    body({
      pending: () => queue.size,
      fire() {
        assert.equal(queue.size, 1, "one timer pending");
        const [[timer, callback]] = queue;
        queue.delete(timer);
        callback();
      },
    });
  } finally {
    globalThis.setTimeout = saved.set;
    globalThis.clearTimeout = saved.clear;
  }
}

Deno.test("Heap decay: a segment reused between two looks is not trimmed at the second", () => {
  withManualTimers((timers) => {
    using pages = new BufferPages({ reserve: 2 ** 22 });
    using heap = new Heap({ pages, decayMs: 1000 });
    heap.free(heap.alloc(64)); // the segment's spans are all empty now
    assert.equal(timers.pending(), 1);
    timers.fire(); // first look: empty; the timer looks again later
    assert.equal(heap.segments, 1);
    assert.equal(timers.pending(), 1);
    // Reused and emptied again before the second look: its emptiness is
    // newer than the first look, so the second does not count it.
    heap.free(heap.alloc(64));
    timers.fire(); // second look
    assert.equal(heap.segments, 1, "trimmed although it was in use between");
    assert.equal(heap.bytesReserved, 4096 + 65536);
    assert.equal(timers.pending(), 1);
    timers.fire(); // third look: empty at two looks in a row
    assert.equal(heap.segments, 0);
    assert.equal(heap.bytesReserved, 4096);
    assert.equal(timers.pending(), 0);
    heap.validate();
  });
});

Deno.test("Heap decay: a segment empty at two looks in a row is trimmed at the second", () => {
  withManualTimers((timers) => {
    using pages = new BufferPages({ reserve: 2 ** 22 });
    using heap = new Heap({ pages, decayMs: 1000 });
    heap.free(heap.alloc(64));
    timers.fire();
    assert.equal(heap.segments, 1);
    timers.fire();
    assert.equal(heap.segments, 0);
    assert.equal(timers.pending(), 0);
    heap.validate();
  });
});

Deno.test("Heap decay: a span that empties after the timer stopped arms it again", () => {
  withManualTimers((timers) => {
    using pages = new BufferPages({ reserve: 2 ** 22 });
    using heap = new Heap({ pages, decayMs: 1000 });
    const a = heap.alloc(64); // its class's only span, kept live
    heap.free(heap.alloc(16)); // another span empties: the timer is armed
    assert.equal(timers.pending(), 1);
    // The look retires the emptied span; the segment holds `a`, so the
    // timer stops, and a span that empties now must arm it again (free
    // tests one word of the span's row for that: it must say so).
    timers.fire();
    assert.equal(timers.pending(), 0);
    heap.free(a);
    assert.equal(timers.pending(), 1, "the emptied span armed no timer");
    timers.fire();
    timers.fire();
    assert.equal(heap.segments, 0);
    assert.equal(heap.bytesReserved, 4096);
    heap.validate();
  });
});

Deno.test("Heap.classStats(): a kept empty span is no live span", async (t) => {
  for (const [i, size] of CLASSES.entries()) {
    await t.step(`class ${size}`, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      using heap = new Heap({ pages });
      // Another class stays live, so the totals are not trivially zero.
      const other = heap.alloc(size === 16 ? 32 : 16);
      heap.free(heap.alloc(size)); // its span stays the class's, empty
      const stats = heap.classStats();
      assert.deepEqual(stats[i], {
        classSize: size,
        chunkCount: Math.floor(4048 / size),
        spans: 0,
        partialSpans: 0,
        fullSpans: 0,
        chunksUsed: 0,
        bytesUsed: 0,
      });
      assert.equal(heap.liveSpans, 1);
      assert.equal(stats.reduce((n, s) => n + s.spans, 0), heap.liveSpans);
      assert.equal(
        stats.reduce((n, s) => n + s.partialSpans, 0),
        heap.liveSpans,
      );
      assert.equal(heap.emptySpans, 14);
      heap.free(other);
    });
  }
});

type Handles = { heap: Heap; pages: PageSource };

const pastTheMemory: Case<Handles, Record<never, never>, { used: number }>[] = [
  {
    name: "free of the first byte past the memory is out-of-range",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap }) => heap.free(heap.memory.byteLength),
        PointerError,
        "out-of-range",
        /^Pointer 0x[0-9a-f]+ \(\d+\) is outside the memory \(\d+ bytes\)$/,
      ],
      [
        "throws",
        ({ heap }) => heap.free(heap.memory.byteLength, 64),
        PointerError,
        "out-of-range",
        /is outside the memory/,
      ],
      [
        "throws",
        ({ heap }) => heap.resize(heap.memory.byteLength, 64, 128),
        PointerError,
        "out-of-range",
        /is outside the memory/,
      ],
    ],
    expect: { used: 64 },
  },
];

Deno.test("Heap: a pointer equal to the memory's size", async (t) => {
  for (const source of sources) {
    for (const c of pastTheMemory) {
      await t.step(`${source.name}: ${c.name}`, () => {
        runCase(() => heapSubject(source), c, {}, { twin: true });
      });
    }
  }
});
