// Bad input to page sources as data: each case sets up a fresh source and
// makes one bad call that must throw the error it names. The shared executor
// then proves that nothing changed, also against a twin source that never saw
// the bad call: same counters, and the same pointer from the next allocation.
import assert from "node:assert/strict";
import {
  DestroyedError,
  OutOfMemoryError,
  type PageSource,
  PointerError,
} from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";
import { type Case, runCase } from "./_run_ops.ts";
import { pagesSubject } from "./_subjects.ts";

const P = 4096;
const RESERVE = 64 * P;

type PagesCase = Case<{ pages: PageSource }>;

const sizeCases: PagesCase[] = ([
  [-1, /non-negative integer, got -1/],
  [1.5, /non-negative integer, got 1.5/],
  [NaN, /non-negative integer, got NaN/],
  [Infinity, /non-negative integer, got Infinity/],
  [RESERVE + 1, /exceeds the page source's reservation of 262144 bytes/],
] as const).map(([size, message]) => ({
  name: `alloc(${size})`,
  ops: [[
    "throws",
    ({ pages }) => pages.alloc(size),
    RangeError,
    null,
    message,
  ]],
}));

const cases: PagesCase[] = [
  ...sizeCases,
  {
    name: "alloc of a string",
    ops: [[
      "throws",
      ({ pages }) => pages.alloc("64" as unknown as number),
      TypeError,
      null,
      /Size must be a number, got string/,
    ]],
  },
  {
    name: "alloc of more pages than are free",
    ops: [["alloc", "a", 60 * P], [
      "throws",
      ({ pages }) => pages.alloc(4 * P),
      OutOfMemoryError,
      null,
      /no run of 4 free page\(s\) for 16384 bytes.*reserve more/,
    ]],
  },
  {
    name: "alloc of the whole reservation (page 0 is never handed out)",
    ops: [[
      "throws",
      ({ pages }) => pages.alloc(RESERVE),
      OutOfMemoryError,
      null,
      /no run of 64 free page/,
    ]],
  },
  {
    name: "resize that cannot grow leaves the run alone",
    ops: [["alloc", "a", P], ["alloc", "b", 61 * P], [
      "throws",
      ({ pages, ptr }) => pages.resize(ptr.a, P, 3 * P),
      OutOfMemoryError,
      null,
      /no run of 3 free page/,
    ]],
  },
  {
    name: "free of an unaligned pointer",
    ops: [["alloc", "a", 2 * P], [
      "throws",
      ({ pages, ptr }) => pages.free(ptr.a + 16, 2 * P),
      PointerError,
      "unaligned",
      /Pointer 0x1010 \(4112\) is not page-aligned/,
    ]],
  },
  {
    name: "free of an interior page",
    ops: [["alloc", "a", 3 * P], [
      "throws",
      ({ pages, ptr }) => pages.free(ptr.a + P, P),
      PointerError,
      "interior",
      /Pointer 0x2000 \(8192\) is inside a live run, not its start/,
    ]],
  },
  {
    name: "double free",
    ops: [["alloc", "a", P], ["alloc", "b", P], ["free", "a"], [
      "throws",
      ({ pages, ptr }) => pages.free(ptr.a, P),
      PointerError,
      "double-free",
      /Pointer 0x1000 \(4096\) is free already/,
    ]],
  },
  {
    name: "free of a page never handed out",
    ops: [["alloc", "a", P], [
      "throws",
      ({ pages }) => pages.free(10 * P, P),
      PointerError,
      "double-free",
      /Pointer 0xa000 \(40960\) is free already/,
    ]],
  },
  {
    name: "free of a pointer outside the range",
    ops: [[
      "throws",
      ({ pages }) => pages.free(RESERVE, P),
      PointerError,
      "out-of-range",
      /Pointer 0x40000 \(262144\) is outside this page source's range/,
    ]],
  },
  {
    name: "free with the wrong size",
    ops: [["alloc", "a", 2 * P], [
      "throws",
      ({ pages, ptr }) => pages.free(ptr.a, 3 * P),
      PointerError,
      "size-mismatch",
      /Size 12288 does not match the run at 0x1000 \(4096\), which is 2 page\(s\)/,
    ]],
  },
  {
    name: "free with a negative size",
    ops: [["alloc", "a", P], [
      "throws",
      ({ pages, ptr }) => pages.free(ptr.a, -5),
      RangeError,
      null,
      /non-negative integer, got -5/,
    ]],
  },
  {
    name: "free of a negative pointer",
    ops: [[
      "throws",
      ({ pages }) => pages.free(-4096, P),
      PointerError,
      "out-of-range",
      /Pointer -4096 is not a non-negative integer/,
    ]],
  },
  {
    name: "resize of a freed run",
    ops: [["alloc", "a", P], ["alloc", "b", P], ["free", "a"], [
      "throws",
      ({ pages, ptr }) => pages.resize(ptr.a, P, 2 * P),
      PointerError,
      "double-free",
      /Pointer 0x1000 \(4096\) is free already/,
    ]],
  },
  {
    name: "resize with a fractional size",
    ops: [["alloc", "a", P], [
      "throws",
      ({ pages, ptr }) => pages.resize(ptr.a, P, 0.5),
      RangeError,
      null,
      /non-negative integer, got 0.5/,
    ]],
  },
  {
    name: "memory view past the end of the range",
    ops: [[
      "throws",
      ({ pages }) => pages.memory.bytes(RESERVE - 8, 16),
      RangeError,
      null,
      /The 16 bytes at 0x3fff8 \(262136\) are outside the memory \(262144 bytes\)/,
    ]],
  },
];

for (const source of sources) {
  Deno.test(`${source.name}: bad input throws and changes nothing`, async (t) => {
    for (const c of cases) {
      await t.step(c.name, () => {
        runCase(() => pagesSubject(source, { reserve: RESERVE }), c, {}, {
          twin: true,
        });
      });
    }
  });

  Deno.test(`${source.name}: use after destroy throws DestroyedError`, async (t) => {
    using subject = pagesSubject(source, { reserve: RESERVE });
    const { pages } = subject.handles;
    const p = pages.alloc(P);
    const view = pages.memory.bytes(p, 16);
    const whole = pages.memory.u8;
    view[0] = 1;
    pages.free(pages.alloc(3 * P), 3 * P); // retained (or purged) pages
    assert.equal(pages.liveBytes, P);
    assert.ok(pages.tableBytes > 0);
    pages.destroy();
    pages.destroy(); // a second destroy does nothing
    assert.equal(pages.destroyed, true);
    await t.step("the counts of what it holds read 0", () => {
      assert.deepEqual(
        [
          pages.liveBytes,
          pages.retainedBytes,
          pages.committedBytes,
          pages.tableBytes,
          pages.liveRuns,
          pages.freeRuns,
        ],
        [0, 0, 0, 0, 0, 0],
      );
    });
    await t.step(
      source.detaches
        ? "every earlier view reads as empty"
        : "the memory is destroyed, its views stay the module's",
      () => {
        assert.equal(view.length, source.detaches ? 0 : 16);
        assert.equal(whole.length, source.detaches ? 0 : 64 * P);
        assert.equal(view[0], source.detaches ? undefined : 1);
        assert.equal(pages.memory.byteLength, 0);
        assert.equal(pages.memory.destroyed, true);
      },
    );
    const calls: [string, () => unknown][] = [
      ["alloc", () => pages.alloc(P)],
      ["free", () => pages.free(p, P)],
      ["resize", () => pages.resize(p, P, 2 * P)],
      ["purge", () => pages.purge()],
      ["runSize", () => pages.runSize(p)],
      ["memory.bytes", () => pages.memory.bytes(p, 1)],
      ["memory.fill", () => pages.memory.fill(p, 1, 0)],
    ];
    for (const [name, call] of calls) {
      await t.step(name, () => {
        assertRefusedUnchanged(subject, call, {
          error: DestroyedError,
          message: /after .*destroy/,
        });
      });
    }
  });

  Deno.test(`${source.name}: a source stays usable after running out`, () => {
    using subject = pagesSubject(source, { reserve: 16 * P });
    const { pages } = subject.handles;
    const a = pages.alloc(15 * P);
    assertRefusedUnchanged(subject, () => pages.alloc(1), {
      error: OutOfMemoryError,
      message: /^Out of memory/,
    });
    assert.equal(pages.liveBytes, 15 * P);
    pages.free(a, 15 * P);
    assert.equal(pages.alloc(15 * P), P);
  });
}
