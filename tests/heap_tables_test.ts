// The heap's own bookkeeping (tableBytes): its span table covers the page
// numbers up to the highest page it holds (80 bytes each: a 16-word row and
// a large block's size and capacity), grows by a quarter, falls when trim()
// gives the highest pages back, and is freed by destroy().
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import { BufferPages } from "../os/mod.ts";

const ROW_BYTES = 16 * 4 + 8 + 8;
// List heads (partial and full, for 28 span classes: 16 and 12 twins), and
// the medium cache's stacks (8 runs for each of 1..16 pages), counts, kept
// bytes, streak and fast-path bytesUsed delta.
const HEADS = 2 * 28 * 4 + (16 * 8 + 16 + 3) * 4;
const MIN_PAGES = 64;

Deno.test("Heap: tableBytes follows the highest page held, exactly", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  const heap = new Heap({ pages });
  const start = MIN_PAGES * ROW_BYTES + HEADS;
  assert.equal(heap.tableBytes, start);
  // A large block needs a row for its first page only: no growth.
  const big = heap.alloc(2 ** 24);
  assert.equal(heap.tableBytes, start);
  // A segment past it: rows up to the segment's last page.
  const small = heap.alloc(16);
  const segmentPage = Math.floor(small / 4096) - 1; // its header page
  assert.ok(segmentPage > 4096, `segment at page ${segmentPage}`);
  const covered = segmentPage + 16;
  assert.equal(heap.tableBytes, covered * ROW_BYTES + HEADS);
  // Frees change nothing: the segment is kept until trim().
  heap.free(big);
  heap.free(small);
  assert.equal(heap.tableBytes, covered * ROW_BYTES + HEADS);
  // trim() gives the segment back, and the rows go with it.
  assert.equal(heap.trim(), 65536);
  assert.equal(heap.tableBytes, start);
  heap.validate();
  // The heap still serves, growing again.
  const again = heap.alloc(5000);
  heap.free(again);
  heap.destroy();
  assert.equal(heap.tableBytes, 0);
});

Deno.test("Heap: decay cuts the table after large blocks are freed, with no trim()", async () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  using heap = new Heap({ pages, decayMs: 40 });
  const start = MIN_PAGES * ROW_BYTES + HEADS;
  // Large blocks only (above the medium cache's 16 pages): no segment, no
  // empty span to arm a timer, every free goes back to the page source.
  const blocks = Array.from({ length: 20 }, () => heap.alloc(2 ** 20));
  const last = Math.max(...blocks) / 4096;
  assert.ok(heap.tableBytes >= (last + 1) * ROW_BYTES + HEADS);
  for (const p of blocks) heap.free(p);
  assert.equal(heap.bytesReserved, 4096);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(heap.tableBytes, start);
  heap.validate();
  // Rows come back with the next block past the cut.
  const again = heap.alloc(2 ** 20);
  assert.equal(heap.usableSize(again), 2 ** 20);
  heap.free(again);
});

Deno.test("Heap: the table grows by a quarter, not by doubling", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  using heap = new Heap({ pages });
  // Segments one after another: the table covers up to the last one's last
  // page, at most a quarter more.
  const ptrs: number[] = [];
  for (let i = 0; i < 300 * 15; i++) ptrs.push(heap.alloc(2016)); // 2 a span
  const highest = Math.floor(Math.max(...ptrs) / 4096) + 1;
  const rows = (heap.tableBytes - HEADS) / ROW_BYTES;
  assert.ok(
    rows >= highest && rows <= Math.ceil(highest * 1.25),
    `${rows} rows for ${highest} pages`,
  );
  for (const p of ptrs) heap.free(p);
  heap.trim();
  assert.equal(heap.tableBytes, MIN_PAGES * ROW_BYTES + HEADS);
});

Deno.test("Heap: the row words and geometry its fast paths write as literals", async () => {
  // alloc and free in heap/heap.ts spell these out (V8's inlining budget
  // counts a module constant's load): a change here must change them too.
  const table = await import("../heap/_span_table.ts");
  const geometry = await import("../heap/_geometry.ts");
  assert.deepEqual(
    [
      table.ROW,
      table.KIND,
      table.LIST,
      table.HEAD_MASK,
      table.USED_ONE,
      table.USED_SHIFT,
      table.FRESH,
      table.MOVE_AT,
      table.DIRTY_PAGES,
      table.BITS,
    ],
    [16, 0, 2, 4095, 4096, 12, 3, 7, 7, 8],
  );
  assert.deepEqual(
    [
      geometry.SPAN_SIZE,
      geometry.CHUNK_SHIFT,
      geometry.BITMAP_WORD_SHIFT,
      geometry.BITMAP_WORDS,
    ],
    [4096, 4, 9, 8],
  );
});

Deno.test("Heap: one load of ALIGNED_ROW_OF tells a twin's alignment from anything else", async () => {
  // #allocAligned takes a twin when the load is a row (>= 0): only 32, 64,
  // 128 and 256; every other integer up to 256 reads -1, and anything past
  // the table, negative or fractional reads undefined.
  const { ALIGNED_ROW_OF, ALIGNED_STEPS } = await import(
    "../heap/_geometry.ts"
  );
  const rows = new Map([[32, 0], [64, 1], [128, 2], [256, 3]]);
  for (let a = 0; a <= 256; a++) {
    const row = rows.get(a);
    assert.equal(
      ALIGNED_ROW_OF[a],
      row === undefined ? -1 : row * ALIGNED_STEPS,
      `alignment ${a}`,
    );
  }
  for (const a of [257, 512, 4096, 2 ** 40, -64, 64.5, NaN, Infinity]) {
    assert.equal(ALIGNED_ROW_OF[a], undefined, `alignment ${a}`);
  }
});

Deno.test("Heap: one load of CLASS_OF is alloc's test of a size", async () => {
  // alloc takes a chunk when CLASS_OF[size] is defined: every integer from
  // 0 to 2016 reads the first class at least it; anything else reads
  // undefined and takes the slow way.
  const { CLASS_OF, CLASS_SIZE, MAX_SMALL } = await import(
    "../heap/_geometry.ts"
  );
  assert.equal(MAX_SMALL, 2016);
  for (
    const [size, cls, classSize] of [
      [0, 0, 16],
      [1, 0, 16],
      [16, 0, 16],
      [17, 1, 32],
      [256, 7, 256],
      [257, 8, 336],
      [2015, 15, 2016],
      [2016, 15, 2016],
    ]
  ) {
    assert.equal(CLASS_OF[size], cls, `size ${size}`);
    assert.equal(CLASS_SIZE[cls], classSize, `size ${size}`);
  }
  for (let size = 0; size <= MAX_SMALL; size++) {
    const cls = CLASS_OF[size];
    assert.ok(
      CLASS_SIZE[cls] >= size && (cls === 0 || CLASS_SIZE[cls - 1] < size),
    );
  }
  for (const size of [2017, 4096, -1, -16, 16.5, NaN, Infinity, 2 ** 40]) {
    assert.equal(CLASS_OF[size], undefined, `size ${size}`);
  }
});

Deno.test("Heap: FITS has a bit for each span kind a free's size may name, and no other", async () => {
  // free's one test of size and kind: bit `kind` of FITS[size] (of ANY_SPAN
  // without a size). Kinds that are no live span (0, EMPTY 29, HEADER_PAGE
  // 30, LARGE 31, FREED_LARGE 32: shifts take it mod 32) have no bit.
  const table = await import("../heap/_span_table.ts");
  const { ANY_SPAN, FITS, MAX_SIZE, MIN_SIZE } = table;
  assert.deepEqual(
    [
      table.NONE,
      table.EMPTY,
      table.HEADER_PAGE,
      table.LARGE,
      table.FREED_LARGE,
    ],
    [0, 29, 30, 31, 32],
  );
  assert.equal(ANY_SPAN, 0x1ffffffe); // bits 1..28
  for (const kind of [0, 29, 30, 31, 32]) {
    assert.equal((ANY_SPAN >> kind) & 1, 0, `kind ${kind}`);
    for (let size = 0; size < FITS.length; size++) {
      assert.equal((FITS[size] >> kind) & 1, 0, `kind ${kind}, size ${size}`);
    }
  }
  for (let kind = 1; kind <= 28; kind++) {
    for (let size = 0; size < FITS.length; size++) {
      const fits = MIN_SIZE[kind] <= size && size <= MAX_SIZE[kind];
      assert.equal(
        (FITS[size] >> kind) & 1,
        fits ? 1 : 0,
        `kind ${kind}, size ${size}`,
      );
    }
  }
  // The 16-byte class (kind 1) takes 0..16; its 32-aligned twin (kind 17)
  // 0..32; the 32-byte class (kind 2) 17..32.
  assert.deepEqual([FITS[0] & 0b110, (FITS[0] >> 17) & 1], [0b010, 1]);
  assert.deepEqual([FITS[17] & 0b110, (FITS[17] >> 17) & 1], [0b100, 1]);
  for (const size of [2017, -1, 16.5, NaN]) {
    assert.equal(FITS[size], undefined, `size ${size}`);
  }
});
