// A page source's own bookkeeping (its run tables, `tableBytes`) follows the
// pages in use: a 1192-byte header plus 33 bytes per page of table, grown by
// a quarter in steps of 1024 pages as the top of the range rises, shrunk once
// pages given back at the top leave it half used, dropped by destroy().
// SharedPages makes its shared tables once, at full size.
import assert from "node:assert/strict";
import fc from "fast-check";
import { BufferPages, OsPages, SharedPages } from "../os/mod.ts";
import { hasPattern, writePattern } from "./_bytes.ts";
import { counters } from "./_page_checks.ts";

const P = 4096;
const HEADER = 1192;
const PER_PAGE = 33;
const tables = (pages: number) => HEADER + pages * PER_PAGE;

Deno.test("page source tables: a 256 MiB peak, freed and purged, then destroyed", () => {
  const pages = new OsPages({ reserve: 2 ** 30 });
  assert.equal(pages.tableBytes, tables(1024));
  // 256 MiB in 4096 runs of 16 pages; nothing is written, so nothing faults.
  const runs = Array.from({ length: 4096 }, () => pages.alloc(16 * P));
  assert.equal(pages.liveBytes, 2 ** 28);
  // Grown by a quarter at a time: 75776 entries for 65537 pages in use.
  assert.equal(pages.tableBytes, tables(75776));
  assert.equal(pages.tableBytes, 2_501_800);
  assert.ok(pages.tableBytes <= 0.01 * 2 ** 28, "under 1% at the peak");
  // The upper half freed and purged: the top falls to half the tables.
  for (const p of runs.slice(2048)) pages.free(p, 16 * P);
  assert.equal(
    pages.tableBytes,
    tables(75776),
    "kept: retained, not given back",
  );
  pages.purge();
  assert.equal(pages.tableBytes, tables(41984));
  // Everything freed and purged: back to one step.
  for (const p of runs.slice(0, 2048)) pages.free(p, 16 * P);
  pages.purge();
  assert.equal(pages.liveBytes, 0);
  assert.equal(pages.tableBytes, tables(1024));
  assert.equal(pages.tableBytes, 34_984);
  assert.ok(pages.tableBytes <= 0.0002 * 2 ** 28, "≤ 0.02% of the peak");
  assert.equal(pages.touchedBytes, P + 2 ** 28, "the high-water mark stays");
  pages.destroy();
  assert.equal(pages.tableBytes, 0, "the tables dropped, the header too");
});

Deno.test("page source tables: shrink only once half is unused, and work on", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  const a = pages.alloc(4000 * P);
  assert.equal(pages.tableBytes, tables(5120));
  pages.free(a, 4000 * P);
  pages.purge(); // zeroed and clean: the top is back at page 1
  assert.equal(pages.tableBytes, tables(1024));
  // A run above a live one: the live one holds the top up.
  const low = pages.alloc(P);
  const high = pages.alloc(3000 * P);
  assert.equal(pages.tableBytes, tables(4096));
  pages.free(high, 3000 * P);
  pages.purge();
  assert.equal(pages.tableBytes, tables(1024));
  // The run tables still work after a shrink: the same page comes back.
  assert.equal(pages.alloc(2 * P), low + P);
  assert.equal(pages.liveRuns, 2);
  // Free pages below a live run keep the top where it is: nothing shrinks.
  const top = pages.alloc(2000 * P);
  pages.free(low, P);
  pages.purge();
  assert.equal(pages.tableBytes, tables(3072));
  assert.equal(pages.runSize(top), 2000 * P);
});

Deno.test("page source tables: SharedPages makes its tables once, at full size", () => {
  const pages = new SharedPages({ reserve: 2 ** 24 });
  const size = tables(4096);
  assert.equal(pages.tableBytes, size);
  const other = SharedPages.attach(pages.handle);
  const p = other.alloc(1000 * P);
  assert.equal(pages.tableBytes, size);
  other.free(p, 1000 * P);
  other.free(other.alloc(P), P);
  assert.equal(pages.tableBytes, size, "one set for every instance");
  // Destroyed, for every instance: none holds anything (other workers may
  // still hold the storage until they let it go).
  pages.destroy();
  assert.equal(pages.tableBytes, 0);
});

// Random runs up to 300 pages, freed one at a time or the upper half at once
// (which lowers the top and shrinks the tables), on OsPages giving every
// freed page back at once: the top is then the end of the highest live run.
// After every step the runs are intact, the first and last page of a new run
// read as zero, and the tables cover the top and are at most twice it (or
// one step).
type Step =
  | { kind: "alloc"; pages: number }
  | { kind: "free"; pick: number }
  | { kind: "dropUpperHalf" };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      pages: fc.integer({ min: 1, max: 300 }),
    }),
    weight: 12,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("free" as const),
      pick: fc.nat(),
    }),
    weight: 6,
  },
  { arbitrary: fc.constant({ kind: "dropUpperHalf" as const }), weight: 1 },
);

const stepLength = (pages: number) =>
  Math.ceil((pages + (pages >>> 2)) / 1024) * 1024;

Deno.test("page source tables: random growth and shrinking keep every run", () => {
  let shrinks = 0;
  fc.assert(
    fc.property(fc.array(step, { minLength: 600, maxLength: 600 }), (steps) => {
      using pages = new OsPages({ reserve: 2 ** 30, retain: 0 });
      const m = pages.memory;
      const live: { ptr: number; pages: number; seed: number }[] = [];
      let seed = 1;
      const free = (i: number) => {
        const l = live[i];
        assert.ok(hasPattern(m, l.ptr, 64, l.seed), "start intact");
        const end = l.ptr + l.pages * P - 64;
        assert.ok(hasPattern(m, end, 64, l.seed + 1), "end intact");
        pages.free(l.ptr, l.pages * P);
        live.splice(i, 1);
      };
      for (const s of steps) {
        if (s.kind === "alloc") {
          const ptr = pages.alloc(s.pages * P);
          const last = ptr + (s.pages - 1) * P;
          assert.ok(m.u8.subarray(ptr, ptr + P).every((b) => b === 0));
          assert.ok(m.u8.subarray(last, last + P).every((b) => b === 0));
          writePattern(m, ptr, 64, seed);
          writePattern(m, ptr + s.pages * P - 64, 64, seed + 1);
          live.push({ ptr, pages: s.pages, seed });
          seed += 2;
        } else if (s.kind === "free" && live.length > 0) {
          free(s.pick % live.length);
        } else if (s.kind === "dropUpperHalf") {
          live.sort((a, b) => a.ptr - b.ptr);
          const keep = Math.floor(live.length / 2);
          const before = pages.tableBytes;
          while (live.length > keep) free(live.length - 1);
          if (pages.tableBytes < before) shrinks++;
        }
        const top = Math.max(1, ...live.map((l) => l.ptr / P + l.pages));
        assert.equal(
          pages.liveBytes,
          live.reduce((n, l) => n + l.pages, 0) * P,
        );
        const length = (pages.tableBytes - HEADER) / PER_PAGE;
        assert.ok(length >= top, `tables of ${length} cover the top ${top}`);
        assert.ok(
          length <= Math.max(2 * top, stepLength(top)),
          `tables of ${length} for the top ${top}`,
        );
      }
      for (const l of [...live]) free(live.indexOf(l));
      pages.purge();
      assert.equal(pages.tableBytes, tables(1024));
    }),
    { numRuns: 20, seed: 0x7ab1e5, endOnFailure: true },
  );
  assert.ok(shrinks >= 20, `the tables shrank ${shrinks} times`);
});

Deno.test("page source tables: the boundaries, exact (grow past the end, shrink at half, regrow below the high-water mark)", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  // The top at the tables' end (page 1024) fits; one page more grows them.
  const a = pages.alloc(1023 * P);
  assert.equal(pages.tableBytes, tables(1024));
  const b = pages.alloc(P);
  assert.equal(pages.tableBytes, tables(2048), "1025 pages and a quarter");
  pages.free(b, P);
  pages.free(a, 1023 * P);
  pages.purge();
  assert.equal(pages.tableBytes, tables(1024));
  // Pages 1–2047 and 2048–3147: tables of 3072, then 4096.
  const low = pages.alloc(2047 * P);
  assert.equal(pages.tableBytes, tables(3072));
  const high = pages.alloc(1100 * P);
  assert.equal(pages.tableBytes, tables(4096));
  pages.memory.u8.fill(8, high, high + 1100 * P);
  // The top falls to 2048, exactly half: they shrink, to 2048 and a quarter.
  pages.free(high, 1100 * P);
  assert.equal(pages.tableBytes, tables(4096), "retained, not given back");
  pages.purge();
  assert.equal(pages.tableBytes, tables(3072));
  // The top rises again below the high-water mark (3148): they regrow.
  assert.equal(pages.touchedBytes, 3148 * P);
  const again = pages.alloc(1100 * P);
  assert.equal(again, high);
  assert.equal(pages.tableBytes, tables(4096));
  assert.equal(pages.memory.u8[again + 1100 * P - 1], 0, "purged: zero");
  assert.equal(pages.runSize(low), 2047 * P);
  pages.free(again, 1100 * P);
  assert.equal(pages.alloc(1100 * P), high, "the run tables still work");
});

Deno.test("page source tables: an aligned run at the top grows them only to its end", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  pages.alloc(1001 * P); // pages 1–1001: the top at 1002
  // Pages 1008–1015 (64 KiB-aligned): the top rises to 1016, inside the
  // tables of 1024, so they stay (the 15 extra pages are never taken).
  assert.equal(pages.alloc(8 * P, 65536), 1008 * P);
  assert.equal(pages.touchedBytes, 1016 * P);
  assert.equal(pages.tableBytes, tables(1024));
  assert.equal(pages.freeRuns, 1, "pages 1002–1007, clean");
});

Deno.test("page source tables: an engine that cannot allocate grown tables changes nothing", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  const a = pages.alloc(P);
  pages.free(pages.alloc(P), P); // a dirty run at the top, taken from first
  const before = counters(pages);
  // Tables past one step fail to allocate, as on a full engine heap.
  const Real = globalThis.Float64Array;
  const failing = new Proxy(Real, {
    construct(target, args) {
      if (typeof args[0] === "number" && args[0] > 1024) {
        throw new RangeError("Array buffer allocation failed");
      }
      return Reflect.construct(target, args);
    },
  });
  Object.defineProperty(globalThis, "Float64Array", { value: failing });
  try {
    assert.throws(() => pages.alloc(2000 * P), RangeError);
    assert.throws(() => pages.alloc(2000 * P, 65536), RangeError);
    assert.throws(() => pages.resize(a, P, 2000 * P), RangeError);
  } finally {
    Object.defineProperty(globalThis, "Float64Array", { value: Real });
  }
  assert.deepEqual(counters(pages), before);
  assert.equal(pages.runSize(a), P);
  assert.equal(pages.alloc(P), a + P, "the dirty run, still free");
  assert.equal(pages.alloc(2000 * P), a + 2 * P);
  assert.equal(pages.tableBytes, tables(3072));
});

Deno.test("page source tables: an engine that cannot allocate smaller tables keeps the larger ones, the free done", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  const big = pages.alloc(4000 * P);
  pages.free(big, 4000 * P);
  const Real = globalThis.Float64Array;
  const failing = new Proxy(Real, {
    construct() {
      throw new RangeError("Array buffer allocation failed");
    },
  });
  Object.defineProperty(globalThis, "Float64Array", { value: failing });
  try {
    pages.purge(); // lowers the top to page 1: the tables would shrink
  } finally {
    Object.defineProperty(globalThis, "Float64Array", { value: Real });
  }
  assert.equal(pages.retainedBytes, 0);
  assert.equal(pages.freeRuns, 0);
  assert.equal(pages.tableBytes, tables(5120), "kept");
  assert.equal(pages.alloc(P), big, "from the top, as after any purge");
  pages.free(pages.alloc(P), P);
  const small = pages.alloc(P);
  pages.discard(small, P); // given back at the top: they shrink now
  assert.equal(pages.tableBytes, tables(1024));
});
