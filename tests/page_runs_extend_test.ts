// Growing a run in place over the free runs after it when they are in more
// than one state (dirty and clean never merge): `extend` and `resize` take
// every consecutive free run after the run (and the top, if they reach it)
// until the new pages are covered, the last one's rest staying free in its
// state, and every counter matching a model of the pages.
import assert from "node:assert/strict";
import {
  BufferPages,
  OsPages,
  type PageSource,
  SharedPages,
} from "../os/mod.ts";
import { Heap } from "../heap/mod.ts";

const P = 4096;

interface Clock {
  now: number;
}

// BufferPages, OsPages and SharedPages with a fake clock (decay by hand).
const makers: {
  name: string;
  make(clock: Clock, reserve?: number, decayMs?: number): PageSource;
}[] = [
  {
    name: "BufferPages",
    make: (c, reserve = 2 ** 22, decayMs = Infinity) =>
      new BufferPages({ reserve, decayMs, clock: () => c.now }),
  },
  {
    name: "OsPages",
    make: (c, reserve = 2 ** 22, decayMs = Infinity) =>
      new OsPages({ reserve, decayMs, clock: () => c.now }),
  },
  {
    name: "SharedPages",
    make: (c, reserve = 2 ** 22, decayMs = Infinity) =>
      SharedPages.attach(
        new SharedPages({ reserve, decayMs: Infinity }).handle,
        { decayMs, clock: () => c.now },
      ),
  },
];

// The counters a page source must show for `live` pages in `liveRuns` live
// runs, `dirty` retained pages in `freeRuns` free runs, and a high-water mark
// of `high` pages (page 0 included): native memory commits live and retained
// pages, JavaScript memory every page ever handed out.
function expect(
  pages: PageSource,
  m: {
    live: number;
    liveRuns: number;
    dirty: number;
    freeRuns: number;
    high: number;
  },
): void {
  const native = pages.memory.native;
  assert.deepEqual(
    {
      liveBytes: pages.liveBytes,
      liveRuns: pages.liveRuns,
      retainedBytes: pages.retainedBytes,
      freeRuns: pages.freeRuns,
      committedBytes: pages.committedBytes,
      purgedBytes: pages.purgedBytes,
      touchedBytes: pages.touchedBytes,
    },
    {
      liveBytes: m.live * P,
      liveRuns: m.liveRuns,
      retainedBytes: m.dirty * P,
      freeRuns: m.freeRuns,
      committedBytes: (native ? m.live + m.dirty : m.high - 1) * P,
      purgedBytes: native ? (m.high - 1 - m.live - m.dirty) * P : 0,
      touchedBytes: m.high * P,
    },
  );
}

// Whether the `length` bytes at `ptr` are all `value`.
function all(pages: PageSource, ptr: number, length: number, value: number) {
  return pages.memory.u8.subarray(ptr, ptr + length).every((b) => b === value);
}

// Allocates `n` one-page runs (pages 1..n), each filled with its page number.
function runs(pages: PageSource, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = pages.alloc(P);
    pages.memory.fill(p, P, p / P);
    out.push(p);
  }
  return out;
}

for (const { name, make } of makers) {
  Deno.test(`${name}: extend over a dirty free page then a clean one grows in place`, () => {
    const c = { now: 0 };
    using pages = make(c);
    const [x, y, z, w] = runs(pages, 4);
    pages.discard(z, P); // page 3: clean
    pages.free(y, P); // page 2: dirty, still holding 2s
    expect(pages, { live: 2, liveRuns: 2, dirty: 1, freeRuns: 2, high: 5 });
    assert.equal(pages.extend(x, P, 3 * P), true);
    assert.equal(pages.runSize(x), 3 * P);
    assert.equal(all(pages, x, P, 1), true); // its own bytes kept
    assert.equal(all(pages, x + P, 2 * P, 0), true); // the new pages zero
    assert.equal(all(pages, w, P, 4), true);
    expect(pages, { live: 4, liveRuns: 2, dirty: 0, freeRuns: 0, high: 5 });
    // Nothing free below the top: the next run comes from the top.
    assert.equal(pages.alloc(P), 5 * P);
  });

  Deno.test(`${name}: resize over a dirty free page then a clean one stays in place`, () => {
    const c = { now: 0 };
    using pages = make(c);
    const [x, y, z] = runs(pages, 4);
    pages.discard(z, P);
    pages.free(y, P);
    assert.equal(pages.resize(x, P, 3 * P), x);
    assert.equal(all(pages, x, P, 1), true);
    assert.equal(all(pages, x + P, 2 * P, 0), true);
    expect(pages, { live: 4, liveRuns: 2, dirty: 0, freeRuns: 0, high: 5 });
  });

  Deno.test(`${name}: extend over dirty, clean, dirty free runs, whole and in part`, () => {
    const c = { now: 0 };
    using pages = make(c);
    const [x, p2, p3, p4, p5] = runs(pages, 6);
    pages.free(p2, P); // dirty
    pages.discard(p3, P); // clean
    pages.free(p4, P); // dirty
    pages.discard(p5, P); // clean
    expect(pages, { live: 2, liveRuns: 2, dirty: 2, freeRuns: 4, high: 7 });
    // Three of the four: the last clean one stays free and clean.
    assert.equal(pages.extend(x, P, 4 * P), true);
    assert.equal(all(pages, x + P, 3 * P, 0), true);
    expect(pages, { live: 5, liveRuns: 2, dirty: 0, freeRuns: 1, high: 7 });
    // It is reused as the only free page (clean: nothing to zero).
    assert.equal(pages.allocDirty(P), 5 * P);
    assert.equal(pages.dirtyBytes, 0);
    expect(pages, { live: 6, liveRuns: 3, dirty: 0, freeRuns: 0, high: 7 });
  });

  Deno.test(`${name}: a clean free run then a dirty one taken in part keeps the rest dirty and as old`, () => {
    const c = { now: 0 };
    using pages = make(c, 2 ** 22, 100);
    const x = pages.alloc(P);
    const clean = pages.alloc(2 * P); // pages 2-3
    const dirty = pages.alloc(3 * P); // pages 4-6
    const wall = pages.alloc(P); // page 7
    const other = pages.alloc(P); // page 8
    pages.alloc(P); // page 9
    pages.memory.fill(dirty, 3 * P, 9);
    pages.discard(clean, 2 * P);
    pages.free(dirty, 3 * P); // freed at 0
    c.now = 50;
    pages.free(other, P); // freed at 50
    expect(pages, { live: 3, liveRuns: 3, dirty: 4, freeRuns: 3, high: 10 });
    // 3 more pages: the clean 2 and the first of the dirty 3.
    assert.equal(pages.extend(x, P, 4 * P), true);
    assert.equal(all(pages, x + P, 3 * P, 0), true);
    assert.equal(all(pages, 5 * P, 2 * P, 9), true); // the rest not zeroed
    expect(pages, { live: 6, liveRuns: 3, dirty: 3, freeRuns: 2, high: 10 });
    // The rest (pages 5-6) is as old as its run: decay at 120 gives back it
    // and not page 8 (freed at 50).
    c.now = 120;
    assert.equal(pages.decay(), 2 * P);
    expect(pages, { live: 6, liveRuns: 3, dirty: 1, freeRuns: 2, high: 10 });
    assert.equal(all(pages, 5 * P, 2 * P, 0), true);
    assert.equal(pages.runSize(wall), P);
    c.now = 200;
    assert.equal(pages.decay(), P);
    expect(pages, { live: 6, liveRuns: 3, dirty: 0, freeRuns: 2, high: 10 });
  });

  Deno.test(`${name}: free runs after the run that are too few, then a live run: refused, nothing changes`, () => {
    const c = { now: 0 };
    using pages = make(c);
    const [x, y, z, w] = runs(pages, 4);
    pages.free(y, P); // dirty
    pages.discard(z, P); // clean
    const before = { live: 2, liveRuns: 2, dirty: 1, freeRuns: 2, high: 5 };
    expect(pages, before);
    assert.equal(pages.extend(x, P, 4 * P), false);
    assert.equal(pages.runSize(x), P);
    expect(pages, before);
    assert.equal(all(pages, y, P, 2), true); // the dirty page untouched
    assert.equal(all(pages, w, P, 4), true);
    // Both free runs are still there, each in its state.
    assert.equal(pages.allocDirty(P), y);
    assert.equal(pages.dirtyBytes, P);
    assert.equal(pages.allocDirty(P), z);
    assert.equal(pages.dirtyBytes, 0);
    expect(pages, { live: 4, liveRuns: 4, dirty: 0, freeRuns: 0, high: 5 });
  });

  Deno.test(`${name}: resize over free runs that end at a live run moves it`, () => {
    const c = { now: 0 };
    using pages = make(c);
    const [x, y, z] = runs(pages, 4);
    pages.free(y, P);
    pages.discard(z, P);
    // Four pages: the dirty and clean ones are too few; from the top.
    assert.equal(pages.resize(x, P, 4 * P), 5 * P);
    assert.equal(all(pages, 5 * P, P, 1), true);
    assert.equal(all(pages, 6 * P, 3 * P, 0), true);
    // x's page joins the dirty one after it.
    expect(pages, { live: 5, liveRuns: 2, dirty: 2, freeRuns: 2, high: 9 });
  });

  Deno.test(`${name}: extend over a clean free run and a dirty one into the top`, () => {
    const c = { now: 0 };
    using pages = make(c);
    const [x, y, z] = runs(pages, 3);
    pages.discard(y, P); // clean
    pages.free(z, P); // dirty, ending at the top
    expect(pages, { live: 1, liveRuns: 1, dirty: 1, freeRuns: 2, high: 4 });
    assert.equal(pages.extend(x, P, 6 * P), true);
    assert.equal(all(pages, x, P, 1), true);
    assert.equal(all(pages, x + P, 5 * P, 0), true);
    expect(pages, { live: 6, liveRuns: 1, dirty: 0, freeRuns: 0, high: 7 });
    assert.equal(pages.alloc(P), 7 * P);
  });

  Deno.test(`${name}: extend over free runs into the top stops at the limit`, () => {
    const c = { now: 0 };
    using pages = make(c, 8 * P); // pages 1-7
    const [x, y, z] = runs(pages, 3);
    pages.discard(y, P);
    pages.free(z, P);
    const before = { live: 1, liveRuns: 1, dirty: 1, freeRuns: 2, high: 4 };
    assert.equal(pages.extend(x, P, 8 * P), false);
    assert.equal(pages.runSize(x), P);
    assert.equal(all(pages, z, P, 3), true);
    expect(pages, before);
    assert.equal(pages.extend(x, P, 7 * P), true);
    assert.equal(all(pages, x + P, 6 * P, 0), true);
    expect(pages, { live: 7, liveRuns: 1, dirty: 0, freeRuns: 0, high: 8 });
  });
}

Deno.test("OsPages: extend zeroes the dirty pages it takes and leaves the clean ones given back", () => {
  using pages = new OsPages({ reserve: 2 ** 22, decayMs: Infinity });
  const x = pages.alloc(P);
  const clean = pages.alloc(8 * P); // pages 2-9
  const dirty = pages.alloc(P); // page 10
  const wall = pages.alloc(P); // page 11
  pages.memory.fill(x, P, 1);
  pages.memory.fill(clean, 8 * P, 2);
  pages.memory.fill(dirty, P, 3);
  pages.memory.fill(wall, P, 4);
  pages.discard(clean, 8 * P);
  pages.free(dirty, P);
  assert.equal(pages.residentBytes(), 3 * P);
  assert.equal(pages.extend(x, P, 10 * P), true);
  assert.equal(pages.residentBytes(), 3 * P); // the clean 8 not touched
  assert.equal(all(pages, x + P, 9 * P, 0), true);
  expect(pages, { live: 11, liveRuns: 2, dirty: 0, freeRuns: 0, high: 12 });
});

for (const kind of ["OsPages", "BufferPages"] as const) {
  Deno.test(`Heap on ${kind}: a large block grows in place over dirty then clean free pages`, () => {
    let now = 0;
    const options = { reserve: 2 ** 26, decayMs: 100, clock: () => now };
    using pages = kind === "OsPages"
      ? new OsPages(options)
      : new BufferPages(options);
    using heap = new Heap({ pages, decayMs: Infinity });
    const S = 20 * P; // above the medium cache: freed to the page source
    const a = heap.alloc(S), b = heap.alloc(S), c = heap.alloc(S);
    heap.alloc(S);
    pages.memory.fill(a, S, 5);
    pages.memory.fill(b, S, 6);
    heap.free(c, S);
    now += 1000;
    pages.decay(); // c's pages: free and clean
    heap.free(b, S); // b's pages: free and dirty
    const live = pages.liveBytes, touched = pages.touchedBytes;
    assert.equal(pages.retainedBytes, S);
    assert.equal(pages.freeRuns, 2);
    assert.equal(heap.resize(a, S, 50 * P), a);
    assert.equal(all(pages, a, S, 5), true);
    assert.equal(all(pages, a + S, 30 * P, 0), true);
    assert.equal(heap.usableSize(a), 50 * P);
    assert.deepEqual(
      [
        pages.liveBytes,
        pages.retainedBytes,
        pages.freeRuns,
        pages.touchedBytes,
        pages.purgedBytes,
      ],
      [live + 30 * P, 0, 1, touched, kind === "OsPages" ? 10 * P : 0],
    );
    // The rest of c's pages (10, clean) are the next 10-page run.
    assert.equal(pages.alloc(10 * P), c + 10 * P);
  });
}
