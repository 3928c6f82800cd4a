// Arguments of the wrong type to the Memory helpers (and to what hands its
// arguments to memory.check(), as new FixedAllocator does) are refused with
// the library's own error naming the argument — never V8's "Cannot mix
// BigInt and other types" or "Cannot convert a Symbol value to a number" —
// changing no byte and no counter, and the helper works right after. One
// table of [call, error class, exact message], one executor.
import assert from "node:assert/strict";
import {
  BufferPages,
  DestroyedError,
  type Memory,
  PointerError,
} from "../os/mod.ts";
import { Heap } from "../heap/mod.ts";
import { FixedAllocator } from "../arena/mod.ts";
import { hex } from "../internal/checks.ts";
import { assertRefusedUnchanged, type ErrorClass } from "./_assert_refused.ts";
import { hasPattern, isZero, writePattern } from "./_bytes.ts";

const RESERVE = 2 ** 22;
const SEED = 11;

/** A heap on its own page source, a run of that source and two allocations. */
interface World {
  pages: BufferPages;
  heap: Heap;
  m: Memory;
  /** 64 bytes of the heap holding the pattern of SEED. */
  p: number;
  /** 64 zero bytes of the heap. */
  q: number;
  /** 8192 bytes straight from the page source. */
  run: number;
}

function world(): World & Disposable {
  const pages = new BufferPages({ reserve: RESERVE });
  const run = pages.alloc(8192);
  const heap = new Heap({ pages });
  const m = heap.memory;
  const p = heap.alloc(64);
  const q = heap.alloc(64);
  writePattern(m, p, 64, SEED);
  return {
    pages,
    heap,
    m,
    p,
    q,
    run,
    [Symbol.dispose]: () => pages.destroy(),
  };
}

// Every byte of the memory, folded, with the counters of the heap and of
// its page source.
function state(w: World): unknown {
  const u8 = w.m.u8;
  let sum = 0;
  for (let i = 0; i < u8.length; i++) sum = (sum * 31 + u8[i]) >>> 0;
  const { heap, pages } = w;
  return {
    sum,
    p: [...w.m.u8.subarray(w.p, w.p + 64)],
    heap: [heap.bytesUsed, heap.bytesReserved, heap.liveSpans],
    pages: [
      pages.liveBytes,
      pages.liveRuns,
      pages.freeRuns,
      pages.committedBytes,
    ],
  };
}

const watch = (w: World) => ({
  state: () => state(w),
  validate: () => w.heap.validate(),
  next: () => [w.heap.alloc(24), w.pages.alloc(4096)],
});

// A valid call of each helper, run after the refused one.
const VALID: Record<string, (w: World) => void> = {
  check: ({ m, p }) => m.check(p, 64),
  bytes: ({ m, p }) => {
    assert.equal(m.bytes(p, 64).length, 64);
    assert.equal(m.bytes(p, 1)[0], SEED);
  },
  view: ({ m, p }) => {
    assert.equal(m.view(Float64Array, p, 8).length, 8);
    assert.equal(m.view(Uint8Array, p, 2)[1], SEED + 31);
  },
  copy: ({ m, p, q }) => {
    m.copy(q, p, 64);
    assert.ok(hasPattern(m, q, 64, SEED));
  },
  move: ({ m, p }) => {
    m.move(p + 1, p, 8);
    assert.deepEqual([...m.bytes(p, 3)], [SEED, SEED, SEED + 31]);
  },
  fill: ({ m, q }) => {
    m.fill(q, 64, 7);
    assert.ok(m.bytes(q, 64).every((b) => b === 7));
  },
  zero: ({ m, p }) => {
    m.zero(p, 64);
    assert.ok(isZero(m, p, 64));
  },
  equal: ({ m, p, q }) => {
    assert.equal(m.equal(p, q, 64), false);
    m.copy(q, p, 64);
    assert.equal(m.equal(p, q, 64), true);
  },
  pointer: ({ m }) => assert.equal(m.pointer(0), null),
  FixedAllocator: ({ m, run }) => {
    const fixed = new FixedAllocator({ memory: m, ptr: run, length: 8192 });
    assert.equal(fixed.alloc(16), run);
    assert.equal(fixed.bytesUsed, 16);
  },
  runSize: ({ pages, run }) => assert.equal(pages.runSize(run), 8192),
};

type Row = [
  call: string,
  run: (w: World) => unknown,
  error: ErrorClass,
  message: string,
];

// deno-lint-ignore no-explicit-any
const bad = (v: unknown): any => v;
const sym = Symbol("s");
const outside = (p: string) =>
  `Pointer ${p} is outside this page source's range`;

const ROWS: Row[] = [
  // A bigint, a symbol, a string or null as a pointer or a length.
  [
    "bytes(10n, 4)",
    ({ m }) => m.bytes(bad(10n), 4),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "bytes(p, 10n)",
    ({ m, p }) => m.bytes(p, bad(10n)),
    TypeError,
    "Length must be a number, got bigint",
  ],
  [
    "bytes(Symbol(), 4)",
    ({ m }) => m.bytes(bad(sym), 4),
    TypeError,
    "Pointer must be a number, got symbol",
  ],
  [
    "bytes(p, Symbol())",
    ({ m, p }) => m.bytes(p, bad(sym)),
    TypeError,
    "Length must be a number, got symbol",
  ],
  [
    "bytes('4096', 4)",
    ({ m }) => m.bytes(bad("4096"), 4),
    TypeError,
    "Pointer must be a number, got string",
  ],
  [
    "bytes(null, 4)",
    ({ m }) => m.bytes(bad(null), 4),
    TypeError,
    "Pointer must be a number, got null",
  ],
  [
    "check(p, undefined)",
    ({ m, p }) => m.check(p, bad(undefined)),
    TypeError,
    "Length must be a number, got undefined",
  ],
  [
    "check(10n, 10n)",
    ({ m }) => m.check(bad(10n), bad(10n)),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "view(Float64Array, 10n, 2)",
    ({ m }) => m.view(Float64Array, bad(10n), 2),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "view(Float64Array, Symbol(), 2)",
    ({ m }) => m.view(Float64Array, bad(sym), 2),
    TypeError,
    "Pointer must be a number, got symbol",
  ],
  [
    "view(Float64Array, p, 10n)",
    ({ m, p }) => m.view(Float64Array, p, bad(10n)),
    TypeError,
    "Element count must be a number, got bigint",
  ],
  [
    "view(Float64Array, p, '2')",
    ({ m, p }) => m.view(Float64Array, p, bad("2")),
    TypeError,
    "Element count must be a number, got string",
  ],
  [
    "view(Float64Array, p, Symbol())",
    ({ m, p }) => m.view(Float64Array, p, bad(sym)),
    TypeError,
    "Element count must be a number, got symbol",
  ],
  [
    "copy(10n, p, 4)",
    ({ m, p }) => m.copy(bad(10n), p, 4),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "copy(q, 10n, 4)",
    ({ m, q }) => m.copy(q, bad(10n), 4),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "copy(q, p, 10n)",
    ({ m, p, q }) => m.copy(q, p, bad(10n)),
    TypeError,
    "Length must be a number, got bigint",
  ],
  [
    "move(Symbol(), p, 4)",
    ({ m, p }) => m.move(bad(sym), p, 4),
    TypeError,
    "Pointer must be a number, got symbol",
  ],
  [
    "move(q, p, 10n)",
    ({ m, p, q }) => m.move(q, p, bad(10n)),
    TypeError,
    "Length must be a number, got bigint",
  ],
  [
    "equal(p, p + 8, 10n)",
    ({ m, p }) => m.equal(p, p + 8, bad(10n)),
    TypeError,
    "Length must be a number, got bigint",
  ],
  [
    "equal(p, Symbol(), 8)",
    ({ m, p }) => m.equal(p, bad(sym), 8),
    TypeError,
    "Pointer must be a number, got symbol",
  ],
  [
    "zero(p, Symbol())",
    ({ m, p }) => m.zero(p, bad(sym)),
    TypeError,
    "Length must be a number, got symbol",
  ],
  [
    "zero(10n, 4)",
    ({ m }) => m.zero(bad(10n), 4),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "fill(10n, 64, 7)",
    ({ m }) => m.fill(bad(10n), 64, 7),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "fill(p, Symbol(), 7)",
    ({ m, p }) => m.fill(p, bad(sym), 7),
    TypeError,
    "Length must be a number, got symbol",
  ],
  // The byte value: a non-number is a TypeError, a number out of range a RangeError.
  [
    "fill(p, 64, 10n)",
    ({ m, p }) => m.fill(p, 64, bad(10n)),
    TypeError,
    "Byte value must be a number, got bigint",
  ],
  [
    "fill(p, 64, Symbol())",
    ({ m, p }) => m.fill(p, 64, bad(sym)),
    TypeError,
    "Byte value must be a number, got symbol",
  ],
  [
    "fill(p, 64, '7')",
    ({ m, p }) => m.fill(p, 64, bad("7")),
    TypeError,
    "Byte value must be a number, got string",
  ],
  [
    "fill(p, 64, null)",
    ({ m, p }) => m.fill(p, 64, bad(null)),
    TypeError,
    "Byte value must be a number, got null",
  ],
  [
    "fill(p, 64, 256)",
    ({ m, p }) => m.fill(p, 64, 256),
    RangeError,
    "Byte value must be an integer 0 to 255, got 256",
  ],
  [
    "fill(p, 64, 1.5)",
    ({ m, p }) => m.fill(p, 64, 1.5),
    RangeError,
    "Byte value must be an integer 0 to 255, got 1.5",
  ],
  [
    "view(Float64Array, p, 1.5)",
    ({ m, p }) => m.view(Float64Array, p, 1.5),
    RangeError,
    "Element count must be a non-negative integer, got 1.5",
  ],
  // pointer() has no length: its message names the pointer alone.
  [
    "pointer(10n)",
    ({ m }) => m.pointer(bad(10n)),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "pointer(Symbol())",
    ({ m }) => m.pointer(bad(sym)),
    TypeError,
    "Pointer must be a number, got symbol",
  ],
  [
    "pointer('1')",
    ({ m }) => m.pointer(bad("1")),
    TypeError,
    "Pointer must be a number, got string",
  ],
  [
    "pointer({})",
    ({ m }) => m.pointer(bad({})),
    TypeError,
    "Pointer must be a number, got object",
  ],
  // The region of a FixedAllocator goes through memory.check().
  [
    "FixedAllocator length 10n",
    ({ m, run }) =>
      new FixedAllocator({ memory: m, ptr: run, length: bad(10n) }),
    TypeError,
    "Length must be a number, got bigint",
  ],
  [
    "FixedAllocator ptr 10n",
    ({ m }) => new FixedAllocator({ memory: m, ptr: bad(10n), length: 64 }),
    TypeError,
    "Pointer must be a number, got bigint",
  ],
  [
    "FixedAllocator ptr Symbol()",
    ({ m }) => new FixedAllocator({ memory: m, ptr: bad(sym), length: 64 }),
    TypeError,
    "Pointer must be a number, got symbol",
  ],
  [
    "FixedAllocator length '64'",
    ({ m, run }) =>
      new FixedAllocator({ memory: m, ptr: run, length: bad("64") }),
    TypeError,
    "Length must be a number, got string",
  ],
  // Pointers past 2^53 are no addresses: the message gives them as numbers.
  [
    "bytes(1e300, 4)",
    ({ m }) => m.bytes(1e300, 4),
    RangeError,
    `The 4 bytes at 1e+300 are outside the memory (${RESERVE} bytes)`,
  ],
  [
    "bytes(2 ** 53, 4)",
    ({ m }) => m.bytes(2 ** 53, 4),
    RangeError,
    `The 4 bytes at 9007199254740992 are outside the memory (${RESERVE} bytes)`,
  ],
  [
    "runSize(1e300)",
    ({ pages }) => pages.runSize(1e300),
    PointerError,
    outside("1e+300"),
  ],
  [
    "runSize(2 ** 53)",
    ({ pages }) => pages.runSize(2 ** 53),
    PointerError,
    outside("9007199254740992"),
  ],
  [
    "runSize(2 ** 53 - 4096)",
    ({ pages }) => pages.runSize(2 ** 53 - 4096),
    PointerError,
    outside("0x1ffffffffff000 (9007199254736896)"),
  ],
];

const exact = (message: string) =>
  new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

// The helper a row calls: the name before "(", or the constructor's.
const helperOf = (call: string) =>
  call.startsWith("FixedAllocator") ? "FixedAllocator" : call.split("(")[0];

Deno.test("memory helpers refuse arguments of the wrong type, changing nothing", async (t) => {
  for (const [call, run, error, message] of ROWS) {
    await t.step(call, () => {
      using w = world();
      using twin = world();
      assert.equal(w.m.byteLength, RESERVE);
      assertRefusedUnchanged(
        watch(w),
        () => run(w),
        { error, message: exact(message) },
        watch(twin),
      );
      const valid = VALID[helperOf(call)];
      assert.ok(valid, `no valid call for ${call}`);
      valid(w);
    });
  }
});

Deno.test("hex gives safe integers in hex, anything else as a number", () => {
  const cases: [number, string][] = [
    [0, "0x0 (0)"],
    [4096, "0x1000 (4096)"],
    [Number.MAX_SAFE_INTEGER, "0x1fffffffffffff (9007199254740991)"],
    [2 ** 53, "9007199254740992"],
    [1e300, "1e+300"],
    [Infinity, "Infinity"],
    [NaN, "NaN"],
    [-1, "-1"],
    [0.5, "0.5"],
  ];
  for (const [ptr, text] of cases) assert.equal(hex(ptr), text, String(ptr));
});

Deno.test("a destroyed memory says so before it looks at the types", () => {
  const { pages, m, p } = world();
  pages.destroy();
  for (
    const call of [() => m.bytes(bad(10n), 4), () => m.fill(p, bad(sym), 7)]
  ) {
    assert.throws(
      call,
      new DestroyedError(
        "Memory was used after its page source was destroyed: make a new page source",
      ),
    );
  }
});
