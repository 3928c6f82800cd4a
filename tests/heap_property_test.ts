// A fast-check property test of the heap: random alloc/free/resize/realloc
// sequences (100 runs × 1000 operations per page source), where every live
// allocation carries its own byte pattern, checked before it is freed or
// resized, and the counters and pointer moves are checked against a model.
import assert from "node:assert/strict";
import { capacityOf, CLASSES, classOf } from "./_heap_model.ts";
import fc from "fast-check";
import { Heap } from "../heap/mod.ts";
import { hasPattern, isZero, writePattern } from "./_bytes.ts";
import { sources } from "./_sources.ts";
import type { PageSource } from "../os/mod.ts";

const RUNS = 100;
const OPS = 1000;

const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 2016 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      ...CLASSES,
      ...CLASSES.map((c) => c + 1),
      4048,
      4049,
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 2017, max: 20000 }) },
);
const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("alloc"), size }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("free"),
      pick: fc.nat(),
      sized: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom("resize", "realloc"),
      pick: fc.nat(),
      size,
    }),
  },
);

/**
 * Whether the `bytes` (whole pages) of `pages` from `from` on are free: no
 * live run starts there (a live run starting before `from` ends at or before
 * it here), and they are inside the reservation.
 */
function pagesFree(pages: PageSource, from: number, bytes: number): boolean {
  if (from + bytes > pages.reservedBytes) return false;
  for (let at = from; at < from + bytes; at += 4096) {
    try {
      pages.runSize(at);
      return false; // a live run starts here
    } catch {
      // not the start of a live run
    }
  }
  return true;
}

interface Live {
  ptr: number;
  size: number;
  seed: number;
  /** Capacity of a large block (kept by in-place resizes), 0 for small. */
  capacity: number;
}

for (const source of sources) {
  Deno.test(`Heap property: ${RUNS} × ${OPS} random operations on ${source.name}`, () => {
    using pages = source.make({ reserve: 2 ** 26 });
    let seed = 1;
    fc.assert(
      fc.property(fc.array(op, { minLength: OPS, maxLength: OPS }), (ops) => {
        using heap = new Heap({ pages });
        const memory = heap.memory;
        const live: Live[] = [];
        let used = 0, peak = heap.peakReserved;
        const usedOf = (s: number) => s > 2016 ? s : classOf(s)!;
        const fresh = (ptr: number, size: number): Live => {
          assert.ok(ptr > 0 && ptr % 16 === 0);
          // The whole chunk (small), or the size asked for (large: the rest
          // of a block's last pages may keep old bytes until it grows).
          const span = size > 2016 ? size : classOf(size)!;
          assert.ok(isZero(memory, ptr, span), "a new allocation is not zero");
          const a = {
            ptr,
            size,
            seed: seed++ & 255,
            capacity: size > 2016 ? capacityOf(size) : 0,
          };
          writePattern(memory, ptr, size, a.seed);
          return a;
        };
        for (const o of ops) {
          if (o.kind === "alloc" || live.length === 0) {
            const s = "size" in o ? o.size : 64;
            live.push(fresh(heap.alloc(s), s));
            used += usedOf(s);
          } else {
            const i = o.pick % live.length;
            const a = live[i];
            assert.ok(
              hasPattern(memory, a.ptr, a.size, a.seed),
              `allocation ${a.ptr} of ${a.size} was overwritten`,
            );
            if (o.kind === "free") {
              // Leave garbage in all of it: its next user must get zeros.
              memory.u8.fill(0xa5, a.ptr, a.ptr + usedOf(a.size));
              heap.free(a.ptr, o.sized ? a.size : undefined);
              live[i] = live[live.length - 1];
              live.pop();
              used -= usedOf(a.size);
            } else {
              const n = o.size;
              // A large block growing past its capacity grows in place
              // exactly when the pages it needs after it are free.
              const grows = a.size > 2016 && n > 2016 && n > a.capacity;
              const room = grows && pagesFree(
                pages,
                a.ptr + a.capacity,
                capacityOf(n) - a.capacity,
              );
              const p = o.kind === "resize"
                ? heap.resize(a.ptr, a.size, n)
                : heap.realloc(a.ptr, n);
              used -= usedOf(a.size);
              if (n === 0) {
                assert.equal(p, 0);
                live[i] = live[live.length - 1];
                live.pop();
              } else {
                const inPlace = a.size <= 2016
                  ? n <= 2016 && classOf(n) === classOf(a.size)
                  : n > 2016 && n <= a.capacity;
                assert.equal(
                  p === a.ptr,
                  inPlace || room,
                  "pointer kept or moved",
                );
                const keep = Math.min(a.size, n);
                assert.ok(hasPattern(memory, p, keep, a.seed), "bytes lost");
                assert.ok(isZero(memory, p + keep, n - keep), "tail not zero");
                const b = {
                  ptr: p,
                  size: n,
                  seed: seed++ & 255,
                  capacity: n <= 2016
                    ? 0
                    : inPlace
                    ? a.capacity
                    : capacityOf(n),
                };
                if (n > 2016) {
                  const info = heap.inspect(p);
                  assert.ok(info?.kind === "large", "not a large block");
                  assert.equal(info.capacity, b.capacity);
                }
                writePattern(memory, p, n, b.seed);
                live[i] = b;
                used += usedOf(n);
              }
            }
          }
          assert.equal(heap.bytesUsed, used);
          const large = live.filter((a) => a.size > 2016);
          assert.equal(heap.largeBlocks, large.length);
          // Freed medium runs the heap keeps (tests/heap_policy_test.ts
          // models which): whole pages, at most 1 MiB.
          const kept = heap.retainedBytes;
          assert.ok(kept % 4096 === 0 && kept <= 2 ** 20, `kept ${kept}`);
          assert.equal(
            heap.bytesReserved,
            4096 + 65536 * heap.segments +
              large.reduce((n, a) => n + a.capacity, 0) + kept,
          );
          assert.equal(heap.liveSpans + heap.emptySpans, 15 * heap.segments);
          assert.ok(heap.peakReserved >= peak);
          peak = heap.peakReserved;
          assert.equal(peak >= heap.bytesReserved, true);
        }
        // No two live allocations overlap.
        const sorted = live.map((a) => [a.ptr, Math.max(16, usedOf(a.size))])
          .sort((x, y) => x[0] - y[0]);
        for (let i = 1; i < sorted.length; i++) {
          assert.ok(sorted[i - 1][0] + sorted[i - 1][1] <= sorted[i][0]);
        }
        for (const a of live) {
          assert.ok(hasPattern(memory, a.ptr, a.size, a.seed));
        }
        heap.validate();
        // Half freed through the Allocator interface, half malloc-style.
        live.forEach((a, i) => heap.free(a.ptr, i % 2 ? a.size : undefined));
        assert.equal(heap.bytesUsed, 0);
        assert.equal(heap.largeBlocks, 0);
        assert.equal(heap.liveSpans, 0);
        heap.validate();
        heap.destroy();
        assert.equal(pages.liveBytes, 0, "the heap left pages behind");
      }),
      { numRuns: RUNS },
    );
  });
}
