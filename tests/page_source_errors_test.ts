// Bad input to page sources as data: each case sets up a fresh source, makes
// one bad call and names the error it must throw. The executor then proves
// that nothing changed, by comparing with a twin source that never saw the bad
// call: same counters, and the same pointer from the next allocation.
import assert from "node:assert/strict";
import {
  DestroyedError,
  OutOfMemoryError,
  type PageSource,
  PointerError,
  type PointerErrorReason,
} from "../os/mod.ts";
import { sources } from "./_sources.ts";

const P = 4096;
const RESERVE = 64 * P;

interface Case {
  name: string;
  /** Allocations made first: name → size. */
  setup?: Record<string, number>;
  /** Names freed after the setup allocations. */
  freed?: string[];
  call: (pages: PageSource, ptrs: Record<string, number>) => unknown;
  error: ErrorConstructor | typeof PointerError | typeof OutOfMemoryError;
  reason?: PointerErrorReason;
  message: RegExp;
}

const sizeCases: Case[] = [
  [-1, /non-negative integer, got -1/],
  [1.5, /non-negative integer, got 1.5/],
  [NaN, /non-negative integer, got NaN/],
  [Infinity, /non-negative integer, got Infinity/],
  [RESERVE + 1, /exceeds the page source's reservation of 262144 bytes/],
].map(([size, message]) => ({
  name: `alloc(${size})`,
  call: (pages: PageSource) => pages.alloc(size as number),
  error: RangeError,
  message: message as RegExp,
}));

const cases: Case[] = [
  ...sizeCases,
  {
    name: "alloc of a string",
    call: (pages) => pages.alloc("64" as unknown as number),
    error: TypeError,
    message: /Size must be a number, got string/,
  },
  {
    name: "alloc of more pages than are free",
    setup: { a: 60 * P },
    call: (pages) => pages.alloc(4 * P),
    error: OutOfMemoryError,
    message: /no run of 4 free page\(s\) for 16384 bytes.*reserve more/,
  },
  {
    name: "alloc of the whole reservation (page 0 is never handed out)",
    call: (pages) => pages.alloc(RESERVE),
    error: OutOfMemoryError,
    message: /no run of 64 free page/,
  },
  {
    name: "resize that cannot grow leaves the run alone",
    setup: { a: P, b: 61 * P },
    call: (pages, p) => pages.resize(p.a, P, 3 * P),
    error: OutOfMemoryError,
    message: /no run of 3 free page/,
  },
  {
    name: "free of an unaligned pointer",
    setup: { a: 2 * P },
    call: (pages, p) => pages.free(p.a + 16, 2 * P),
    error: PointerError,
    reason: "unaligned",
    message: /Pointer 0x1010 is not page-aligned/,
  },
  {
    name: "free of an interior page",
    setup: { a: 3 * P },
    call: (pages, p) => pages.free(p.a + P, P),
    error: PointerError,
    reason: "interior",
    message: /Pointer 0x2000 is inside a live run, not its start/,
  },
  {
    name: "double free",
    setup: { a: P, b: P },
    freed: ["a"],
    call: (pages, p) => pages.free(p.a, P),
    error: PointerError,
    reason: "double-free",
    message: /Pointer 0x1000 is free already/,
  },
  {
    name: "free of a page never handed out",
    setup: { a: P },
    call: (pages) => pages.free(10 * P, P),
    error: PointerError,
    reason: "double-free",
    message: /Pointer 0xa000 is free already/,
  },
  {
    name: "free of a pointer outside the range",
    call: (pages) => pages.free(RESERVE, P),
    error: PointerError,
    reason: "out-of-range",
    message: /Pointer 0x40000 is outside this page source's range/,
  },
  {
    name: "free with the wrong size",
    setup: { a: 2 * P },
    call: (pages, p) => pages.free(p.a, 3 * P),
    error: PointerError,
    reason: "size-mismatch",
    message:
      /Size 12288 does not match the run at 0x1000, which is 2 page\(s\)/,
  },
  {
    name: "free with a negative size",
    setup: { a: P },
    call: (pages, p) => pages.free(p.a, -5),
    error: RangeError,
    message: /non-negative integer, got -5/,
  },
  {
    name: "free of a negative pointer",
    call: (pages) => pages.free(-4096, P),
    error: RangeError,
    message: /Pointer must be a non-negative integer, got -4096/,
  },
  {
    name: "resize of a freed run",
    setup: { a: P, b: P },
    freed: ["a"],
    call: (pages, p) => pages.resize(p.a, P, 2 * P),
    error: PointerError,
    reason: "double-free",
    message: /Pointer 0x1000 is free already/,
  },
  {
    name: "resize with a fractional size",
    setup: { a: P },
    call: (pages, p) => pages.resize(p.a, P, 0.5),
    error: RangeError,
    message: /non-negative integer, got 0.5/,
  },
  {
    name: "memory view past the end of the range",
    call: (pages) => pages.memory.bytes(RESERVE - 8, 16),
    error: RangeError,
    message: /Range 0x3fff8\+16 is outside the memory \(262144 bytes\)/,
  },
];

function setUp(pages: PageSource, c: Case): Record<string, number> {
  const ptrs: Record<string, number> = {};
  for (const [name, size] of Object.entries(c.setup ?? {})) {
    ptrs[name] = pages.alloc(size);
  }
  for (const name of c.freed ?? []) pages.free(ptrs[name], c.setup![name]);
  return ptrs;
}

function state(pages: PageSource) {
  return {
    live: pages.liveBytes,
    liveRuns: pages.liveRuns,
    freeRuns: pages.freeRuns,
    retained: pages.retainedBytes,
    committed: pages.committedBytes,
  };
}

for (const source of sources) {
  Deno.test(`${source.name}: bad input throws and changes nothing`, async (t) => {
    for (const c of cases) {
      await t.step(c.name, () => {
        using pages = source.make({ reserve: RESERVE });
        using twin = source.make({ reserve: RESERVE });
        const ptrs = setUp(pages, c);
        setUp(twin, c);
        assert.throws(() => c.call(pages, ptrs), (e: Error) => {
          assert.ok(e instanceof c.error, `${e.name} is a ${c.error.name}`);
          assert.match(e.message, c.message);
          if (c.reason) assert.equal((e as PointerError).reason, c.reason);
          return true;
        });
        assert.deepEqual(state(pages), state(twin));
        assert.equal(pages.alloc(P), twin.alloc(P), "next allocation");
        assert.deepEqual(state(pages), state(twin));
      });
    }
  });

  Deno.test(`${source.name}: use after destroy throws DestroyedError`, async (t) => {
    const pages = source.make({ reserve: RESERVE });
    const p = pages.alloc(P);
    const view = pages.memory.bytes(p, 16);
    const whole = pages.memory.u8;
    view[0] = 1;
    pages.destroy();
    pages.destroy(); // a second destroy does nothing
    assert.equal(pages.destroyed, true);
    await t.step("every earlier view reads as empty", () => {
      assert.equal(view.length, 0);
      assert.equal(whole.length, 0);
      assert.equal(view[0], undefined);
      assert.equal(pages.memory.byteLength, 0);
    });
    const calls: [string, () => unknown][] = [
      ["alloc", () => pages.alloc(P)],
      ["free", () => pages.free(p, P)],
      ["resize", () => pages.resize(p, P, 2 * P)],
      ["trim", () => pages.trim()],
      ["runSize", () => pages.runSize(p)],
      ["memory.bytes", () => pages.memory.bytes(p, 1)],
      ["memory.fill", () => pages.memory.fill(p, 1, 0)],
    ];
    for (const [name, call] of calls) {
      await t.step(name, () => {
        assert.throws(call, (e: Error) => {
          assert.ok(e instanceof DestroyedError, e.name);
          assert.match(e.message, /after .*destroy/);
          return true;
        });
      });
    }
  });

  Deno.test(`${source.name}: a source stays usable after running out`, () => {
    using pages = source.make({ reserve: 16 * P });
    const a = pages.alloc(15 * P);
    assert.throws(() => pages.alloc(1), OutOfMemoryError);
    assert.equal(pages.liveBytes, 15 * P);
    pages.free(a, 15 * P);
    assert.equal(pages.alloc(15 * P), P);
  });
}
