// Writes after free and past the end that reach the heap's bookkeeping
// (docs/design.md#free-list-repair): a free chunk's link is the only
// bookkeeping in memory, so each case overwrites links in its own way and
// checks that the heap throws one HeapCorruptionError naming the damage,
// repairs the span, and then serves on — allocations that read as zero and
// overlap nothing live, exact counters, validate() passing, and every
// segment back once all is freed. A large block has no bookkeeping in memory:
// its cases check that writes past it break nothing the heap relies on.
import assert from "node:assert/strict";
import type { Heap } from "../heap/mod.ts";
import { HeapCorruptionError, type PageSource } from "../os/mod.ts";
import { isZero } from "./_bytes.ts";
import { capacityOf, classOf } from "./_heap_model.ts";
import { heapSubject, type Subject } from "./_subjects.ts";
import { sources } from "./_sources.ts";

type HeapSubject = Subject<{ heap: Heap; pages: PageSource }>;

/** A pointer as messages show it, `0x1f000 (126976)`, as a regex source. */
const shown = (n: number) => `0x${n.toString(16)} \\(${n}\\)`;

/** Bytes a live allocation of `size` occupies: its class, or its size. */
const extent = (size: number) => size <= 2016 ? classOf(size)! : size;

/**
 * The live allocations of a heap under test: every new one must read as zero
 * over its whole extent and overlap none of the others.
 */
class Live {
  #heap: Heap;
  #sizes = new Map<number, number>();

  constructor(heap: Heap) {
    this.#heap = heap;
  }

  /** The heap's trim(): its kept runs go back to the page source. */
  trim(): void {
    this.#heap.trim();
  }

  alloc(size: number): number {
    const p = this.#heap.alloc(size);
    const length = extent(size);
    assert.ok(isZero(this.#heap.memory, p, length), `${p} reads as zero`);
    for (const [q, qSize] of this.#sizes) {
      assert.ok(
        p + length <= q || q + extent(qSize) <= p,
        `${p} (${length} bytes) overlaps the live ${q} (${extent(qSize)})`,
      );
    }
    this.#sizes.set(p, size);
    return p;
  }

  free(p: number): void {
    assert.ok(this.#sizes.delete(p), `${p} is live`);
    this.#heap.free(p);
  }

  /** What bytesUsed must be. */
  get bytes(): number {
    let sum = 0;
    for (const size of this.#sizes.values()) {
      sum += size <= 2016 ? classOf(size)! : size;
    }
    return sum;
  }

  freeAll(): void {
    for (const p of [...this.#sizes.keys()]) this.free(p);
  }
}

/**
 * After everything is freed and trimmed, the heap's counters are those of a
 * fresh heap (but for its peak).
 */
function assertBackToStart(
  subject: HeapSubject,
  start: Record<string, unknown>,
): void {
  subject.handles.heap.trim();
  subject.handles.heap.validate();
  assert.deepEqual(
    { ...subject.state(), peak: 0 },
    { ...start, peak: 0 },
    "counters after freeing everything",
  );
}

/** A write after free over free-list links, and what the heap must do. */
interface LinkCase {
  name: string;
  /** The size of every allocation. */
  size: number;
  /** Allocations a[0..count) made first, in one span. */
  count: number;
  /** The indices freed, in this order (the last one heads the free list). */
  freed: number[];
  /**
   * The write after free. Returns the chunk whose link it broke and the
   * link, or {} when the links still form a list but one that skips free
   * chunks (which the heap finds when the span's fresh part runs out).
   */
  write(heap: Heap, a: number[]): { chunk?: number; link?: number };
  /** validate()'s report of the damage, after `Heap is inconsistent: `. */
  validate: RegExp;
  /** The allocations that succeed before one finds the damage (indices). */
  before: number[];
  /** What the allocations after the repair hand out, in order (indices). */
  after: number[];
  /** For skipped chunks: how many the repair finds. */
  lost?: number;
}

const fill42 = (heap: Heap, from: number, length: number) =>
  heap.memory.u8.fill(0x42, from, from + length);

const linkCases: LinkCase[] = [
  {
    name:
      "16 B: 16 bytes written over the first chunk freed (the list's last link)",
    size: 16,
    count: 2,
    freed: [0, 1], // the list: a1, a0
    write: (heap, a) => {
      fill42(heap, a[0], 16);
      return { chunk: a[0], link: 0x42424242 };
    },
    validate: /links to offset .*, which is no handed-out chunk/,
    before: [1],
    after: [0],
  },
  {
    name: "2016 B: 2016 bytes written over the first chunk freed",
    size: 2016,
    count: 2,
    freed: [0, 1],
    write: (heap, a) => {
      fill42(heap, a[0], 2016);
      return { chunk: a[0], link: 0x42424242 };
    },
    validate: /links to offset .*, which is no handed-out chunk/,
    before: [1],
    after: [0],
  },
  {
    name:
      "16 B: one write over five free chunks in a row breaks five links; one repair",
    size: 16,
    count: 8,
    freed: [5, 4, 3, 2, 1], // the list: a1, a2, a3, a4, a5
    write: (heap, a) => {
      fill42(heap, a[1], 5 * 16);
      return { chunk: a[1], link: 0x42424242 };
    },
    validate: /links to offset .*, which is no handed-out chunk/,
    before: [],
    // Rebuilt lowest first, the chunk that held the bad link last.
    after: [2, 3, 4, 5, 1],
  },
  {
    name: "64 B: the list's head linked to a live chunk, never handed out",
    size: 64,
    count: 3,
    freed: [0, 1], // the list: a1, a0
    write: (heap, a) => {
      heap.memory.u32[a[1] / 4] = a[2] % 4096;
      return { chunk: a[1], link: a[2] % 4096 };
    },
    validate: /links to offset .*, which is a live chunk/,
    before: [],
    after: [0, 1],
  },
  {
    name: "64 B: the list's last chunk linked to a live chunk",
    size: 64,
    count: 3,
    freed: [0, 1],
    write: (heap, a) => {
      heap.memory.u32[a[0] / 4] = a[2] % 4096;
      return { chunk: a[0], link: a[2] % 4096 };
    },
    validate: /links to offset .*, which is a live chunk/,
    before: [1],
    after: [0],
  },
  {
    name:
      "2016 B: zeros written over the head's link end the list early (a chunk lost)",
    size: 2016,
    count: 2,
    freed: [0, 1], // the list: a1, a0
    write: (heap, a) => {
      heap.memory.u8.fill(0, a[1], a[1] + 2016); // zeroing after free
      return {};
    },
    validate: /has 0 chunks used, 1 free and 0 fresh, not 2 in all/,
    before: [1],
    after: [0],
    lost: 1,
  },
  {
    name:
      "16 B: a link pointed past the next free chunk skips it, in a full span",
    size: 16,
    count: 253, // the whole span
    freed: [0, 1, 2], // the list: a2, a1, a0
    write: (heap, a) => {
      heap.memory.u32[a[2] / 4] = a[0] % 4096; // a2 → a0: a1 is lost
      return {};
    },
    validate: /has 250 chunks used, 2 free and 0 fresh, not 253 in all/,
    before: [2, 0],
    after: [1],
    lost: 1,
  },
];

function runLinkCase(subject: HeapSubject, c: LinkCase): void {
  const { heap } = subject.handles;
  const start = subject.state();
  const live = new Live(heap);
  const a = Array.from({ length: c.count }, () => live.alloc(c.size));
  const span = a[c.freed[0]] - a[c.freed[0]] % 4096;
  for (const i of c.freed) assert.equal(Math.floor(a[i] / 4096) * 4096, span);
  for (const i of c.freed) live.free(a[i]);
  heap.validate();
  const { chunk, link } = c.write(heap, a);

  // validate() reports the damage and changes nothing.
  for (let twice = 0; twice < 2; twice++) {
    assert.throws(() => heap.validate(), (e) => {
      assert.ok(e instanceof HeapCorruptionError, `got ${e}`);
      assert.deepEqual(
        [e.span, e.chunk, e.link, e.repaired],
        [span, chunk, link, false],
      );
      assert.match(e.message, /^Heap is inconsistent: /);
      assert.match(e.message, c.validate);
      return true;
    });
  }

  for (const i of c.before) assert.equal(live.alloc(c.size), a[i]);
  // The alloc that meets the damage repairs the span and throws once,
  // allocating nothing.
  const state = subject.state();
  const cls = classOf(c.size)!;
  const found = chunk !== undefined
    ? `free chunk ${shown(chunk)} of the span of ${cls}-byte chunks at ${
      shown(span)
    } links to offset ${shown(link!)}, which is no free chunk of the span`
    : `${c.lost} free chunk of the span of ${cls}-byte chunks at ${
      shown(span)
    } was on no free list \\(a link was overwritten with a later free chunk's offset\\)`;
  assert.throws(() => heap.alloc(c.size), (e) => {
    assert.ok(e instanceof HeapCorruptionError, `got ${e}`);
    assert.equal(e.name, "HeapCorruptionError");
    assert.deepEqual(
      [e.span, e.chunk, e.link, e.repaired],
      [span, chunk, link, true],
    );
    assert.match(
      e.message,
      new RegExp(
        `^Write after free found: ${found}\\. The heap rebuilt the span's free list from its allocation bitmap, so no chunk is lost or handed out twice; this call allocated nothing and can be repeated \\(a DebugAllocator finds the code that wrote after free\\)$`,
      ),
    );
    return true;
  });
  assert.deepEqual(subject.state(), state, "the repair changed a counter");
  heap.validate();

  // Then every allocation succeeds: the span's free chunks (the damaged one
  // zeroed), its fresh part, a new span; none throws again.
  for (const i of c.after) assert.equal(live.alloc(c.size), a[i]);
  const chunks = Math.floor(4048 / cls);
  for (let i = 0; i <= chunks; i++) live.alloc(c.size);
  assert.equal(heap.bytesUsed, live.bytes);
  heap.validate();
  live.freeAll();
  assert.equal(heap.bytesUsed, 0);
  assertBackToStart(subject, start);
}

Deno.test("Heap: a write after free over free-list links", async (t) => {
  for (const source of sources) {
    for (const c of linkCases) {
      await t.step(`${source.name}: ${c.name}`, () => {
        using subject = heapSubject(source);
        runLinkCase(subject, c);
      });
    }
  }
});

/** A write past a large block into the next page, and what must hold. */
interface NeighbourCase {
  name: string;
  /**
   * Makes a large block of 5000 bytes (capacity 8192) and its neighbour;
   * returns the block.
   */
  setup(live: Live): number;
  /** The bytes written from the block's end (its run's end) on. */
  bytes: number;
  /** validate()'s report, if the write is one it finds (null: it passes). */
  validate(block: number): RegExp | null;
  /** What the heap must do afterwards, before everything is freed. */
  then(live: Live, block: number, heap: Heap): void;
}

const SIZE = 5000;
const CAPACITY = capacityOf(SIZE); // 8192
// A large block starts on its run's first page; a span's first chunk is
// 48 bytes into the span.
const spanOf = (first: number) => first - 48;

const neighbourCases: NeighbourCase[] = [
  {
    name: "the next page is a segment's header page, which holds nothing",
    setup: (live) => {
      const big = live.alloc(SIZE);
      const small = live.alloc(16); // a new segment, right after the block
      assert.equal(spanOf(small) - 4096, big + CAPACITY);
      return big;
    },
    bytes: 4096, // the whole header page
    validate: () => null,
    then: (live) => {
      for (let i = 0; i < 300; i++) live.alloc(16); // the segment's spans
      live.alloc(SIZE);
    },
  },
  {
    name:
      "the next run is a live large block: its first bytes, the caller's (nothing to find)",
    setup: (live) => {
      const big = live.alloc(SIZE);
      const next = live.alloc(SIZE);
      assert.equal(next, big + CAPACITY);
      return big;
    },
    bytes: 48,
    validate: () => null,
    then: (live, big, heap) => {
      const next = big + CAPACITY;
      // Only the bytes written changed; the heap serves on.
      assert.ok(
        heap.memory.u8.subarray(next, next + 48).every((b) => b === 0x77),
      );
      assert.ok(isZero(heap.memory, next + 48, SIZE - 48));
      live.alloc(16);
      live.alloc(SIZE);
      // The damage leaves with the block; its pages come back zeroed.
      live.free(next);
      heap.validate();
      const again = live.alloc(SIZE);
      assert.ok(isZero(heap.memory, again, 48));
    },
  },
  {
    name: "the next run is a freed large block's pages, reused as a block",
    setup: (live) => {
      const big = live.alloc(SIZE);
      const next = live.alloc(SIZE);
      assert.equal(next, big + CAPACITY);
      live.free(next);
      return big;
    },
    bytes: CAPACITY, // all of the freed run
    validate: () => null,
    then: (live, big) => {
      // Zeroed where handed out, header included (Live checks the size).
      const again = live.alloc(SIZE);
      assert.equal(again, big + CAPACITY);
    },
  },
  {
    name: "the next run is a freed large block's pages, reused as a segment",
    setup: (live) => {
      const big = live.alloc(SIZE);
      const next = live.alloc(65536); // a run of a segment's size
      assert.equal(next, big + CAPACITY);
      live.free(next);
      live.trim(); // the heap kept the run: give it back to the page source
      return big;
    },
    bytes: 65536,
    validate: () => null,
    then: (live, big) => {
      // A segment there: every chunk of every span reads as zero.
      const first = live.alloc(64);
      assert.equal(spanOf(first), big + CAPACITY + 4096);
      for (let i = 1; i < 15 * 63; i++) live.alloc(64);
    },
  },
];

Deno.test("Heap: a write past a large block into the next page", async (t) => {
  for (const source of sources) {
    for (const c of neighbourCases) {
      await t.step(`${source.name}: ${c.name}`, () => {
        using subject = heapSubject(source);
        const { heap } = subject.handles;
        const start = subject.state();
        const live = new Live(heap);
        const big = c.setup(live);
        heap.validate();
        const end = big + CAPACITY;
        heap.memory.u8.fill(0x77, end, end + c.bytes);
        const report = c.validate(big);
        if (report === null) heap.validate();
        else {
          assert.throws(() => heap.validate(), (e) => {
            assert.ok(e instanceof HeapCorruptionError, `got ${e}`);
            // Not a link: no span, chunk or link, and nothing repaired.
            assert.deepEqual(
              [e.span, e.chunk, e.link, e.repaired],
              [undefined, undefined, undefined, false],
            );
            assert.match(e.message, report);
            return true;
          });
        }
        c.then(live, big, heap);
        assert.equal(heap.bytesUsed, live.bytes);
        heap.validate();
        live.freeAll();
        assertBackToStart(subject, start);
      });
    }
  }
});
