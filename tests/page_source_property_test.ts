// Page sources against a model, over long random operation sequences: the
// model is the list of live runs with their sizes and fill seeds. After every
// operation the counters must equal the model's; every new or grown run must
// read as zero past the kept bytes; every run's bytes must be intact when it
// is freed or resized; no two live runs may overlap. One op in four asks for
// an alignment above the page size, which every run it makes or moves must
// have in real address.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { PageSource } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { hasPattern, isZero, writePattern } from "./_bytes.ts";

const P = 4096;
const OPS = 12_000;

type Op =
  | { kind: "alloc"; size: number; alignment?: number }
  | { kind: "free"; pick: number }
  | { kind: "resize"; pick: number; size: number; alignment?: number };

const alignment = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.constantFrom(8192, 32768, 65536), weight: 1 },
);

const size = fc.oneof(
  fc.integer({ min: 0, max: 3 * P }),
  fc.integer({ min: 0, max: 40 * P }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      size,
      alignment,
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("free" as const),
      pick: fc.nat(),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("resize" as const),
      pick: fc.nat(),
      size,
      alignment,
    }),
    weight: 2,
  },
);

interface Live {
  ptr: number;
  size: number;
  seed: number;
}

const pagesOf = (size: number) => Math.max(1, Math.ceil(size / P));
// The real address of a pointer (native for OsPages), modulo 2^16.
const real = (pages: PageSource, ptr: number) =>
  (Number((pages.memory.address ?? 0n) % 65536n) + ptr) % 65536;

function checkModel(pages: PageSource, live: Live[], retain: number) {
  assert.equal(pages.liveRuns, live.length);
  assert.equal(
    pages.liveBytes,
    live.reduce((sum, l) => sum + pagesOf(l.size) * P, 0),
  );
  assert.ok(pages.retainedBytes <= retain, "retained within budget");
}

function checkNoOverlap(live: Live[]) {
  const runs = live.map((l) => [l.ptr, l.ptr + pagesOf(l.size) * P]).sort((
    a,
    b,
  ) => a[0] - b[0]);
  for (let i = 1; i < runs.length; i++) {
    assert.ok(
      runs[i - 1][1] <= runs[i][0],
      `runs overlap at 0x${runs[i][0].toString(16)}`,
    );
  }
}

function runOps(pages: PageSource, ops: Op[], retain: number) {
  const m = pages.memory;
  const live: Live[] = [];
  let seed = 1;
  for (const o of ops) {
    if (o.kind === "alloc" || live.length === 0) {
      const s = o.kind === "free" ? 1 : o.size;
      const al = o.kind === "free" ? undefined : o.alignment;
      const ptr = pages.alloc(s, al);
      assert.equal(real(pages, ptr) % (al ?? P), 0, `aligned to ${al ?? P}`);
      assert.ok(isZero(m, ptr, pagesOf(s) * P), "new run reads as zero");
      writePattern(m, ptr, s, seed);
      live.push({ ptr, size: s, seed: seed++ });
    } else {
      const i = o.pick % live.length;
      const l = live[i];
      assert.ok(hasPattern(m, l.ptr, l.size, l.seed), "bytes intact");
      if (o.kind === "free") {
        pages.free(l.ptr, l.size);
        live.splice(i, 1);
      } else {
        const ptr = pages.resize(l.ptr, l.size, o.size, o.alignment);
        if (ptr !== 0) {
          const al = o.alignment ?? P;
          assert.equal(real(pages, ptr) % al, 0, `resized, aligned to ${al}`);
        }
        const kept = Math.min(l.size, o.size);
        assert.ok(
          hasPattern(m, ptr, kept, l.seed),
          "kept bytes survive resize",
        );
        assert.ok(
          isZero(m, ptr + kept, pagesOf(o.size) * P - kept),
          "bytes past the kept ones are zero",
        );
        if (o.size === 0) {
          assert.equal(ptr, 0);
          live.splice(i, 1);
        } else {
          writePattern(m, ptr, o.size, seed);
          live[i] = { ptr, size: o.size, seed: seed++ };
        }
      }
    }
    checkModel(pages, live, retain);
  }
  checkNoOverlap(live);
  for (const l of live) pages.free(l.ptr, l.size);
  assert.equal(pages.liveBytes, 0);
  // Given back, every free page merges into the never-used region at the top.
  pages.purge();
  assert.equal(pages.retainedBytes, 0);
  assert.equal(pages.freeRuns, 0, "everything merged back into the top");
}

for (const source of sources) {
  for (const retain of source.name === "OsPages" ? [0, 16 * P] : [Infinity]) {
    Deno.test(`${source.name} (retain ${retain}): ${OPS} random operations match the model`, () => {
      fc.assert(
        fc.property(fc.array(op, { minLength: OPS, maxLength: OPS }), (ops) => {
          using pages = source.make({ reserve: 2 ** 28, retain });
          runOps(pages, ops, retain);
        }),
        { numRuns: 2, seed: 0x9a6e5, endOnFailure: true },
      );
    });
  }
}
