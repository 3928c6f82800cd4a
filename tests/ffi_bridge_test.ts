// The bridge's hooks called the way C calls them (through their function
// pointers), as data: each case runs calls on a fresh bridge over a heap and
// states what C got back, what the bridge holds, and the calls it refused.
import assert from "node:assert/strict";
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { CAllocator, type HookName, type RefusedCall } from "../ffi/mod.ts";
import {
  DebugAllocator,
  LeakError,
  MemoryCorruptionError,
} from "../debug/mod.ts";
import { Heap } from "../heap/mod.ts";
import {
  type Allocator,
  BufferPages,
  DestroyedError,
  OsPages,
  OutOfMemoryError,
  PointerError,
  type PointerErrorReason,
} from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";
import { sized } from "./ffi/_allocators.ts";
import { testWith } from "./ffi/_libs.ts";
import { zlib } from "./ffi/_zlib.ts";

const U = "usize";
/** Callers of every hook, as C would call them. */
function callers(bridge: CAllocator) {
  const fn = <const D extends Deno.ForeignFunction>(
    pointer: Deno.PointerObject,
    definition: D,
  ) => {
    const f = new Deno.UnsafeFnPointer(
      pointer as Deno.PointerObject<D>,
      definition,
    );
    return f.call.bind(f);
  };
  const words = new BigUint64Array(bridge.sqliteMemMethods.buffer);
  const method = (i: number) => Deno.UnsafePointer.create(words[i])!;
  return {
    malloc: fn(bridge.malloc, { parameters: [U], result: U }),
    calloc: fn(bridge.calloc, { parameters: [U, U], result: U }),
    realloc: fn(bridge.realloc, { parameters: [U, U], result: U }),
    free: fn(bridge.free, { parameters: [U], result: "void" }),
    usableSize: fn(bridge.usableSize, { parameters: [U], result: U }),
    // C passes 64-bit opaque and ud arguments; the bridge ignores them.
    zalloc: fn(bridge.zalloc, { parameters: [U, "u32", "u32"], result: U }),
    zfree: fn(bridge.zfree, { parameters: [U, U], result: "void" }),
    luaAlloc: fn(bridge.luaAlloc, { parameters: [U, U, U, U], result: U }),
    xMalloc: fn(method(0), { parameters: ["i32"], result: U }),
    xFree: fn(method(1), { parameters: [U], result: "void" }),
    xRealloc: fn(method(2), { parameters: [U, "i32"], result: U }),
    xSize: fn(method(3), { parameters: [U], result: "i32" }),
    xRoundup: fn(method(4), { parameters: ["i32"], result: "i32" }),
    xInit: fn(method(5), { parameters: [U], result: "i32" }),
    words,
  };
}

interface Env {
  heap: Heap;
  bridge: CAllocator;
  c: ReturnType<typeof callers>;
  /** The heap pointer of a native address C got. */
  off: (address: bigint) => number;
  /** The native address of a heap pointer. */
  at: (ptr: number) => bigint;
}

type Refusal = [
  HookName,
  ErrorConstructor | typeof PointerError | typeof OutOfMemoryError,
  PointerErrorReason | null,
  RegExp,
];

interface Case {
  name: string;
  /** How the bridge sees the heap (default: both ways, one test each). */
  modes?: ("sized" | "usable")[];
  maxBytes?: number;
  run: (env: Env) => unknown;
  returns?: unknown;
  /** bridge.bytesUsed afterwards, per mode. */
  bytes?: { sized: number; usable: number };
  heapBytes?: number;
  /** The calls refused, in order (per mode where they differ). */
  refused?: Refusal[] | { sized: Refusal[]; usable: Refusal[] };
}

// A pointer C might pass that is no heap memory: a JS buffer's bytes.
const outside = Deno.UnsafePointer.value(
  Deno.UnsafePointer.of(new Uint8Array(new ArrayBuffer(64))),
);

const cases: Case[] = [
  {
    name: "malloc gives a 16-aligned address of zeroed heap bytes",
    run: ({ c, off, heap }) => {
      const ptr = off(c.malloc(100n));
      return [ptr % 16, heap.memory.bytes(ptr, 100).every((b) => b === 0)];
    },
    returns: [0, true],
    bytes: { sized: 100, usable: 128 },
    heapBytes: 128,
  },
  {
    name: "malloc(0) gives a block of its own",
    run: ({ c }) => c.malloc(0n) !== c.malloc(0n),
    returns: true,
    bytes: { sized: 2, usable: 32 }, // a 1-byte block each
    heapBytes: 32,
  },
  {
    name: "malloc then free leaves nothing",
    run: ({ c }) => c.free(c.malloc(3000n)),
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
  },
  {
    name: "free(NULL) does nothing",
    run: ({ c }) => c.free(0n),
    bytes: { sized: 0, usable: 0 },
  },
  {
    name: "calloc multiplies",
    run: ({ c, off }) => off(c.calloc(3n, 5n)) > 0,
    returns: true,
    bytes: { sized: 15, usable: 16 },
  },
  {
    name: "calloc whose product overflows is NULL",
    run: ({ c }) => [c.calloc(2n ** 32n, 2n ** 32n), c.calloc(2n ** 63n, 2n)],
    returns: [0n, 0n],
    bytes: { sized: 0, usable: 0 },
    refused: [
      [
        "calloc",
        OutOfMemoryError,
        null,
        /^4294967296 × 4294967296 bytes overflows/,
      ],
      [
        "calloc",
        OutOfMemoryError,
        null,
        /^9223372036854775808 × 2 bytes overflows/,
      ],
    ],
  },
  {
    name: "malloc past the heap's limit is NULL",
    run: ({ c }) => c.malloc(2n ** 60n),
    returns: 0n,
    refused: [[
      "malloc",
      RangeError,
      null,
      /^Size 1152921504606846976 from C is larger than any block can be: the library asked for an impossible size$/,
    ]],
  },
  {
    name: "sizes from C are named exactly, however large",
    run: ({ c }) => [
      c.malloc(2n ** 64n - 1n),
      c.realloc(0n, 2n ** 53n + 1n),
      c.luaAlloc(0n, 0n, 0n, 2n ** 53n),
      c.malloc(2n ** 53n - 1n), // a number still: the heap's limit
      c.calloc(2n ** 62n + 1n, 4n),
      c.calloc(2n ** 26n, 2n ** 27n), // 2^53: no overflow, too large
    ],
    returns: [0n, 0n, 0n, 0n, 0n, 0n],
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
    refused: [
      ["malloc", RangeError, null, /^Size 18446744073709551615 from C /],
      ["realloc", RangeError, null, /^Size 9007199254740993 from C /],
      ["luaAlloc", RangeError, null, /^Size 9007199254740992 from C /],
      [
        "malloc",
        RangeError,
        null,
        /^Size 9007199254740991 exceeds the largest allocation/,
      ],
      [
        "calloc",
        OutOfMemoryError,
        null,
        /^4611686018427387905 × 4 bytes overflows: no block is that large$/,
      ],
      [
        "calloc",
        OutOfMemoryError,
        null,
        /^67108864 × 134217728 bytes is too large: no block is that large$/,
      ],
    ],
  },
  {
    name: "realloc(NULL) allocates, and keeps the bytes when it moves",
    run: ({ c, off, heap }) => {
      const a = c.realloc(0n, 10n);
      heap.memory.bytes(off(a), 3).set([7, 8, 9]);
      const b = c.realloc(a, 5000n);
      return [b !== a, [...heap.memory.bytes(off(b), 4)]];
    },
    returns: [true, [7, 8, 9, 0]],
    bytes: { sized: 5000, usable: 8192 }, // two pages, all C's
  },
  {
    name: "C may fill what usableSize says, and realloc keeps all of it",
    run: ({ c, off, heap }) => {
      const a = c.malloc(3000n), usable = c.usableSize(a);
      heap.memory.bytes(off(a), Number(usable)).fill(0xcd);
      const b = c.realloc(a, 10000n);
      const kept = heap.memory.bytes(off(b), Number(usable));
      return [usable, kept.every((byte) => byte === 0xcd)];
    },
    returns: { sized: [3000n, true], usable: [4096n, true] },
    bytes: { sized: 10000, usable: 12288 },
  },
  {
    name: "a block JavaScript allocated is refused when C frees or reallocs it",
    run: ({ c, at, heap }) => {
      const p = heap.alloc(64);
      c.free(at(p));
      return [c.realloc(at(p), 100n), c.usableSize(at(p)), heap.bytesUsed];
    },
    returns: [0n, 0n, 64],
    bytes: { sized: 0, usable: 0 },
    refused: (["free", "realloc", "usableSize"] as const).map((hook) => [
      hook,
      PointerError,
      "foreign",
      /is no block this bridge handed out/,
    ]),
  },
  {
    name:
      "the cap counts the room the allocator gives, not only the size asked",
    maxBytes: 5000,
    run: ({ c }) => c.malloc(4097n) !== 0n,
    returns: { sized: true, usable: false },
    bytes: { sized: 4097, usable: 0 },
    refused: {
      sized: [],
      usable: [[
        "malloc",
        OutOfMemoryError,
        null,
        /^The C library asked for 4097 bytes \(8192 as the allocator rounds it\) more, past the bridge's cap of 5000 bytes \(0 in use\)/,
      ]],
    },
  },
  {
    name: "a block the cap refuses after rounding goes back to the heap",
    modes: ["usable"],
    maxBytes: 5000,
    run: ({ c, heap }) => [c.malloc(4097n), heap.bytesUsed],
    returns: [0n, 0],
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
    refused: [[
      "malloc",
      OutOfMemoryError,
      null,
      /^The C library asked for 4097 bytes \(8192 as the allocator rounds it\) more/,
    ]],
  },
  {
    name: "malloc(0) then free leaves nothing",
    run: ({ c }) => c.free(c.malloc(0n)),
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
  },
  {
    name: "free of the memory's first byte is refused as outside it",
    run: ({ c, at }) => c.free(at(0)),
    refused: [[
      "free",
      PointerError,
      "foreign",
      /^Native pointer 0x[0-9a-f]+ from C is not inside the allocator's memory/,
    ]],
  },
  {
    name: "the cap holds for realloc too",
    maxBytes: 4096,
    run: ({ c }) => c.realloc(c.malloc(64n), 5000n),
    returns: 0n,
    bytes: { sized: 64, usable: 64 },
    heapBytes: 64,
    refused: [[
      "realloc",
      OutOfMemoryError,
      null,
      /^The C library asked for 4936 bytes more, past the bridge's cap of 4096 bytes \(64 in use\)/,
    ]],
  },
  {
    name: "the old address of a block realloc moved is refused by free",
    run: ({ c }) => {
      const a = c.malloc(64n);
      const b = c.realloc(a, 5000n);
      c.free(a);
      return b !== a;
    },
    returns: true,
    bytes: { sized: 5000, usable: 8192 },
    refused: [[
      "free",
      PointerError,
      "foreign",
      /is no block this bridge handed out, or was freed already/,
    ]],
  },
  {
    name:
      "a realloc whose room would pass the cap holds the size asked, and keeps C's bytes",
    modes: ["usable"],
    maxBytes: 40,
    run: ({ c, off, heap }) => {
      const a = c.malloc(20n); // room 32
      heap.memory.bytes(off(a), 3).set([1, 2, 3]);
      const b = c.realloc(a, 33n); // 33 fits the cap, its class of 48 does not
      const kept = [...heap.memory.bytes(off(b), 3)];
      const size = c.usableSize(b);
      c.free(b);
      return [b !== 0n, kept, size, heap.bytesUsed];
    },
    returns: [true, [1, 2, 3], 33n, 0],
    bytes: { sized: 0, usable: 0 },
  },
  {
    name: "realloc(p, 0) frees and gives NULL",
    run: ({ c }) => c.realloc(c.malloc(64n), 0n),
    returns: 0n,
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
  },
  {
    name: "usableSize: the size asked (side table) or the heap's class",
    run: ({ c }) => [c.usableSize(c.malloc(20n)), c.usableSize(0n)],
    returns: { sized: [20n, 0n], usable: [32n, 0n] },
  },
  {
    name: "free of a pointer outside the memory is refused, nothing changed",
    run: ({ c }) => {
      c.malloc(64n);
      c.free(outside);
    },
    bytes: { sized: 64, usable: 64 },
    heapBytes: 64,
    refused: [[
      "free",
      PointerError,
      "foreign",
      /is not inside the allocator's memory/,
    ]],
  },
  {
    name: "a double free is refused the second time",
    run: ({ c }) => {
      const a = c.malloc(64n);
      c.free(a);
      c.free(a);
    },
    bytes: { sized: 0, usable: 0 },
    refused: [[
      "free",
      PointerError,
      "foreign",
      /is no block this bridge handed out, or was freed already/,
    ]],
  },
  {
    name: "free of an interior pointer is refused",
    run: ({ c }) => c.free(c.malloc(64n) + 16n),
    bytes: { sized: 64, usable: 64 },
    refused: [[
      "free",
      PointerError,
      "foreign",
      /is no block this bridge handed out/,
    ]],
  },
  {
    name: "the cap: C sees NULL past it, and below it again after a free",
    maxBytes: 4096,
    run: ({ c }) => {
      const a = c.malloc(4000n);
      const refused = c.malloc(200n);
      c.free(a);
      return [refused, c.malloc(4096n) !== 0n];
    },
    returns: [0n, true],
    bytes: { sized: 4096, usable: 4096 },
    refused: [[
      "malloc",
      OutOfMemoryError,
      null,
      /^The C library asked for 200 bytes more, past the bridge's cap of 4096 bytes \((4000|4096) in use\)/,
    ]],
  },
  {
    name: "zalloc and zfree",
    run: ({ c }) => {
      const a = c.zalloc(0n, 4, 8);
      const b = c.zalloc(2n ** 64n - 1n, 1000, 10); // any opaque
      c.zfree(0n, a);
      return b !== 0n;
    },
    returns: true,
    bytes: { sized: 10000, usable: 12288 },
  },
  {
    name: "luaAlloc: allocate, grow keeping the bytes, free",
    run: ({ c, off, heap }) => {
      const a = c.luaAlloc(0n, 0n, 4n, 40n); // osize 4: a Lua string
      heap.memory.bytes(off(a), 2).set([5, 6]);
      const b = c.luaAlloc(2n ** 63n + 5n, a, 40n, 3000n); // any ud
      const kept = [...heap.memory.bytes(off(b), 3)];
      const used = heap.bytesUsed;
      return [
        kept,
        used,
        c.luaAlloc(0n, b, 3000n, 0n),
        c.luaAlloc(0n, 0n, 0n, 0n),
      ];
    },
    returns: [[5, 6, 0], 3000, 0n, 0n],
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
  },
  {
    name: "luaAlloc with a wrong old size is refused, the block kept",
    run: ({ c, heap }) => {
      const a = c.luaAlloc(0n, 0n, 0n, 3000n);
      return [c.luaAlloc(0n, a, 100n, 0n), heap.bytesUsed];
    },
    returns: [0n, 3000],
    bytes: { sized: 3000, usable: 3000 },
    refused: [["luaAlloc", PointerError, "size-mismatch", /./]],
  },
  {
    // (The heap takes any size of the block's class: the bridge checks.)
    name: "luaAlloc with an old size of the same class is refused too",
    run: ({ c, off, heap }) => {
      const a = c.luaAlloc(0n, 0n, 0n, 100n);
      return [
        c.luaAlloc(0n, a, 120n, 0n),
        c.luaAlloc(0n, a, 120n, 200n),
        heap.usableSize(off(a)),
        c.luaAlloc(0n, a, 100n, 0n),
      ];
    },
    returns: [0n, 0n, 128, 0n],
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
    refused: [
      [
        "luaAlloc",
        PointerError,
        "size-mismatch",
        /^Lua passed old size 120 for block 0x[0-9a-f]+ \(native 0x[0-9a-f]+\), which holds 100 bytes: the block is kept; the library passed another block's size$/,
      ],
      ["luaAlloc", PointerError, "size-mismatch", /old size 120 /],
    ],
  },
  {
    name: "luaAlloc of a block JavaScript allocated is refused, the block kept",
    run: ({ c, heap, at }) => {
      const js = heap.alloc(64);
      return [
        c.luaAlloc(0n, at(js), 64n, 0n),
        c.luaAlloc(0n, at(js), 64n, 128n),
        heap.bytesUsed,
      ];
    },
    returns: [0n, 0n, 64],
    bytes: { sized: 0, usable: 0 },
    heapBytes: 64,
    refused: [
      [
        "luaAlloc",
        PointerError,
        "foreign",
        /is no block this bridge handed out/,
      ],
      ["luaAlloc", PointerError, "foreign", /is no block this bridge/],
    ],
  },
  {
    name: "a block from malloc freed through luaAlloc is gone for both",
    run: ({ c, heap }) => {
      const x = c.malloc(16n), p = c.malloc(200n);
      const freed = c.luaAlloc(0n, x, 16n, 0n);
      // Its address again, for a new block: not "still held by C".
      const y = c.malloc(16n);
      const q = c.realloc(p, 8n);
      return [freed, y === x, q !== 0n, c.usableSize(q), heap.bytesUsed];
    },
    returns: {
      sized: [0n, true, true, 8n, 32],
      usable: [0n, true, true, 16n, 32],
    },
    bytes: { sized: 24, usable: 32 },
    heapBytes: 32,
  },
  {
    name: "sqlite methods: malloc, size, realloc, roundup, free, init",
    run: ({ c }) => {
      const a = c.xMalloc(100);
      const size = c.xSize(a);
      const b = c.xRealloc(a, 200);
      const result = [
        size,
        c.xSize(b),
        c.xRoundup(1),
        c.xRoundup(100),
        c.xInit(0n),
        c.words[7],
      ];
      c.xFree(b);
      return result;
    },
    returns: {
      sized: [100, 200, 16, 112, 0, 0n],
      usable: [128, 256, 16, 112, 0, 0n],
    },
    bytes: { sized: 0, usable: 0 },
    heapBytes: 0,
  },
  {
    name: "sqlite xMalloc of a negative size is NULL",
    run: ({ c }) => c.xMalloc(-5),
    returns: 0n,
    refused: [[
      "xMalloc",
      RangeError,
      null,
      /Size must be a non-negative integer, got -5/,
    ]],
  },
];

for (const testCase of cases) {
  for (const mode of testCase.modes ?? ["sized", "usable"] as const) {
    Deno.test(`bridge (${mode}): ${testCase.name}`, () => {
      using pages = new OsPages({ reserve: 2 ** 24 });
      using heap = new Heap({ pages });
      const allocator = mode === "sized" ? sized(heap) : heap;
      using bridge = new CAllocator(allocator, { maxBytes: testCase.maxBytes });
      const address = heap.memory.address!;
      const env: Env = {
        heap,
        bridge,
        c: callers(bridge),
        off: (a) => Number(a - address),
        at: (p) => address + BigInt(p),
      };
      const result = testCase.run(env);
      const returns = testCase.returns as Record<string, unknown> | undefined;
      if (returns !== undefined) {
        const expected = returns && typeof returns === "object" &&
            !Array.isArray(returns) && mode in returns
          ? returns[mode]
          : returns;
        assert.deepEqual(result, expected);
      }
      if (testCase.bytes) assert.equal(bridge.bytesUsed, testCase.bytes[mode]);
      if (testCase.heapBytes !== undefined) {
        assert.equal(heap.bytesUsed, testCase.heapBytes);
      }
      const listed = testCase.refused ?? [];
      const refused = Array.isArray(listed) ? listed : listed[mode];
      assert.equal(bridge.refusedCalls, refused.length);
      bridge.errors.forEach(({ hook, error }, i) => {
        const [h, type, reason, message] = refused[i];
        assert.equal(hook, h);
        assert.ok(error instanceof type, `${error.name}: ${error.message}`);
        if (reason !== null) {
          assert.equal((error as PointerError).reason, reason);
        }
        assert.match(error.message, message);
      });
      heap.validate();
    });
  }
}

Deno.test("bridge: onError sees every refusal, and its own exception stays in JS", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  let seen = 0;
  using bridge = new CAllocator(heap, {
    maxBytes: 0,
    onError: () => {
      seen++;
      throw new Error("a bug in the handler");
    },
  });
  const { malloc } = callers(bridge);
  for (let i = 0; i < 150; i++) assert.equal(malloc(1n), 0n);
  assert.equal(seen, 150);
  assert.equal(bridge.refusedCalls, 150);
  assert.equal(bridge.errors.length, 100); // the first 100 are kept
});

Deno.test("bridge: close from onError, inside a hook C is running, does not crash", async () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  const bridge: CAllocator = new CAllocator(heap, {
    maxBytes: 100,
    onError: () => bridge.close(),
  });
  const { malloc, free } = callers(bridge);
  assert.equal(malloc(1000n), 0n); // refused; onError closes the bridge
  assert.equal(bridge.closed, true);
  // C calls again in the same turn (the hooks live until it ends): closed,
  // the bridge hands out nothing more, and still takes a free.
  const before = heap.bytesUsed;
  assert.equal(malloc(16n), 0n);
  assert.equal(heap.bytesUsed, before);
  assert.equal(bridge.refusedCalls, 2);
  assert.ok(bridge.errors[1].error instanceof DestroyedError);
  free(0n);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.throws(() => bridge.malloc, DestroyedError);
  assert.equal(bridge.refusedCalls, 2);
});

Deno.test("bridge: close from an onError whose own C call was refused too waits for the outer hook", async () => {
  // onError calls into C, which allocates through the bridge and is refused
  // in turn; the inner refusal's end must not let the outer close free the
  // hook C is still inside (the process crashed with SIGSEGV).
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  let depth = 0;
  const bridge: CAllocator = new CAllocator(heap, {
    maxBytes: 100,
    onError: () => {
      if (depth++ > 0) return;
      assert.equal(malloc(1000n), 0n); // refused too
      bridge.close();
    },
  });
  const { malloc } = callers(bridge);
  assert.equal(malloc(1000n), 0n);
  assert.equal(bridge.closed, true);
  assert.equal(bridge.refusedCalls, 2);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.throws(() => bridge.malloc, DestroyedError);
});

Deno.test("bridge: xSize is a C int, so a larger usable size reads INT_MAX", () => {
  // (4 GiB reserved, not mapped: the claimed bytes are inside the memory.)
  using pages = new OsPages({ reserve: 2 ** 32 });
  using heap = new Heap({ pages });
  // A heap that claims 2^31 + 16 usable bytes per block, as one of that
  // size would have, without mapping 2 GiB.
  const huge: Allocator & { usableSize(ptr: number): number } = {
    memory: heap.memory,
    alloc: (size) => heap.alloc(size),
    resize: (ptr) => ptr,
    free: (ptr) => heap.free(ptr),
    usableSize: () => 2 ** 31 + 16,
  };
  using bridge = new CAllocator(huge);
  const { xMalloc, xSize, usableSize } = callers(bridge);
  const a = xMalloc(64);
  assert.equal(xSize(a), 0x7fffffff);
  assert.equal(usableSize(a), 2n ** 31n + 16n);
  assert.equal(bridge.bytesUsed, 2 ** 31 + 16);
});

Deno.test("bridge: close frees the function pointers and refuses later use", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  const bridge = new CAllocator(heap);
  const struct = bridge.sqliteMemMethods;
  assert.notEqual(new BigUint64Array(struct.buffer)[0], 0n);
  bridge.close();
  bridge.close(); // twice is fine
  assert.equal(bridge.closed, true);
  assert.ok(struct.every((b) => b === 0)); // no stale function pointers
  for (
    const get of [
      () => bridge.malloc,
      () => bridge.luaAlloc,
      () => bridge.sqliteMemMethods,
    ]
  ) {
    assert.throws(
      get,
      new DestroyedError(
        "CAllocator was used after close(): make a new bridge",
      ),
    );
  }
});

Deno.test("bridge: bad options and non-native memory are refused", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  using buffer = new BufferPages({ reserve: 2 ** 16 });
  const table: [() => unknown, new (message: string) => Error, string][] = [
    [
      () => new CAllocator(buffer),
      TypeError,
      "The allocator's memory is not native (a plain ArrayBuffer), so C cannot use it: build it on OsPages (run deno with --allow-ffi)",
    ],
    [
      () => new CAllocator({} as Allocator),
      TypeError,
      "Allocator must be an Allocator (with memory, alloc, resize and free)",
    ],
    [
      () => new CAllocator({ alloc: heap.alloc, memory: heap.memory } as never),
      TypeError,
      "Allocator must be an Allocator (with memory, alloc, resize and free)",
    ],
    [
      () => {
        const gone = new Heap({ pages });
        gone.destroy();
        return new CAllocator(gone);
      },
      DestroyedError,
      "CAllocator was given a destroyed allocator: make the bridge on a live one",
    ],
    [
      () => {
        // A live heap whose page source is gone.
        const source = new OsPages({ reserve: 2 ** 20 });
        const orphan = new Heap({ pages: source });
        source.destroy();
        return new CAllocator(orphan);
      },
      DestroyedError,
      "CAllocator was given a destroyed allocator: make the bridge on a live one",
    ],
    [
      () => new CAllocator(heap, { maxBytes: -1 }),
      RangeError,
      "Byte cap must be a non-negative integer, got -1",
    ],
    [
      () => new CAllocator(heap, { maxBytes: 1.5 }),
      RangeError,
      "Byte cap must be a non-negative integer, got 1.5",
    ],
    [
      () => new CAllocator(heap, { onError: 5 as never }),
      TypeError,
      "onError must be a function, got number",
    ],
    [
      () => new CAllocator(heap, null as never),
      TypeError,
      "CAllocator options must be an object, such as { maxBytes, onError }, got null",
    ],
    [
      () => new CAllocator(heap, 5 as never),
      TypeError,
      "CAllocator options must be an object, such as { maxBytes, onError }, got number",
    ],
  ];
  for (const [make, type, message] of table) {
    assert.throws(make, new type(message));
  }
});

Deno.test("bridge: without --allow-ffi the constructor throws FfiUnavailableError", async () => {
  const child = new URL("./ffi/_no_ffi_child.ts", import.meta.url).pathname;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read=.", child],
    stdout: "piped",
  }).output();
  assert.equal(code, 0);
  assert.equal(
    new TextDecoder().decode(stdout).trim(),
    "FfiUnavailableError: CAllocator needs FFI permission to give C function pointers: run deno with --allow-ffi (unscoped)",
  );
});

testWith(
  "bridge: a DebugAllocator under it reports zlib's leaked stream with its sizes",
  zlib.missing,
  () => {
    using heap = new Heap(); // on native pages of its own
    const debug = new DebugAllocator({ parent: heap, stacks: true });
    using bridge = new CAllocator(debug);
    const z = zlib.lib!.symbols;
    const stream = new Uint8Array(new ArrayBuffer(112));
    const view = new DataView(stream.buffer);
    view.setBigUint64(64, Deno.UnsafePointer.value(bridge.zalloc), true);
    view.setBigUint64(72, Deno.UnsafePointer.value(bridge.zfree), true);
    assert.equal(
      z.deflateInit2_(stream, 6, 8, 15, 8, 0, z.zlibVersion(), 112),
      0,
    );
    // A bug, on purpose: no deflateEnd. The state, then window, prev, head
    // and the pending buffer, 64 KiB each at windowBits 15 and memLevel 8.
    const leaks = debug.leaks();
    assert.deepEqual(leaks.slice(1).map((b) => b.size), [
      65536,
      65536,
      65536,
      65536,
    ]);
    assert.ok(
      leaks[0].size > 1000 && leaks[0].size < 65536,
      `${leaks[0].size}`,
    );
    assert.equal(bridge.bytesUsed, leaks.reduce((sum, b) => sum + b.size, 0));
    assert.match(leaks[0].allocatedAt!, /c_allocator\.ts/);
    assert.throws(() => debug.destroy(), (e: unknown) => {
      assert.ok(e instanceof LeakError);
      assert.equal(e.leaks.length, 5);
      assert.match(
        e.message,
        /^5 allocation\(s\) never freed: \d+ bytes at 0x[0-9a-f]+ \(\d+\); allocated at\nat CAllocator\.#alloc /,
      );
      return true;
    });
  },
);

Deno.test("bridge: close after a refused call frees the callbacks at once", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  const bridge = new CAllocator(heap, { maxBytes: 100, onError: () => {} });
  const { malloc } = callers(bridge);
  assert.equal(malloc(1000n), 0n); // refused, onError returned
  const proto = Deno.UnsafeCallback.prototype;
  const close = proto.close;
  let closed = 0;
  proto.close = function () {
    closed++;
    return close.call(this);
  };
  try {
    bridge.close(); // outside onError: nothing to defer
    assert.equal(closed, 15); // the 8 hooks callers() made, 7 sqlite methods
  } finally {
    proto.close = close;
  }
});

// An exception in an FFI callback aborts the process: whatever an allocator
// throws — a value String() cannot convert, a Proxy whose traps throw — the
// hook answers NULL and records an Error with a fixed message.
const UNPRINTABLE =
  "The allocator threw a value that is not an Error and cannot be made a string";
const hostile: [string, () => unknown, string][] = [
  ["an object with no prototype", () => Object.create(null), UNPRINTABLE],
  [
    "a Proxy whose getPrototypeOf throws",
    () =>
      new Proxy({}, {
        getPrototypeOf() {
          throw Object.create(null);
        },
      }),
    UNPRINTABLE,
  ],
  [
    "an object whose toString throws",
    () => ({
      toString() {
        throw new Error("no");
      },
    }),
    UNPRINTABLE,
  ],
  ["a number", () => 7, "7"],
  ["a string", () => "bad", "bad"],
];

Deno.test("bridge: whatever the allocator throws, no exception reaches C", async (t) => {
  for (const [name, thrown, message] of hostile) {
    await t.step(name, () => {
      using pages = new OsPages({ reserve: 2 ** 24 });
      using heap = new Heap({ pages });
      // Blocks come from the heap; then every call throws the value.
      let throwing = false;
      const bad: Allocator = {
        memory: heap.memory,
        alloc: (size) => {
          if (throwing) throw thrown();
          return heap.alloc(size);
        },
        resize: () => {
          throw thrown();
        },
        free: () => {
          throw thrown();
        },
      };
      const seen: string[] = [];
      using bridge = new CAllocator(bad, {
        // A handler that reads the error, then throws something hostile too.
        onError: (call) => {
          seen.push(`${call.hook}: ${call.error.message}`);
          throw thrown();
        },
      });
      const c = callers(bridge);
      const p = c.malloc(32n);
      assert.notEqual(p, 0n);
      throwing = true;
      const results = [
        c.malloc(16n),
        c.calloc(2n, 8n),
        c.realloc(0n, 16n),
        c.realloc(p, 64n),
        c.zalloc(0n, 2, 8),
        c.luaAlloc(0n, 0n, 0n, 16n),
        c.xMalloc(16),
        c.xRealloc(p, 64),
        c.free(p),
        c.xFree(p),
      ];
      assert.deepEqual(
        results,
        [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, null, null],
      );
      const hooks = [
        "malloc",
        "calloc",
        "realloc",
        "realloc",
        "zalloc",
        "luaAlloc",
        "xMalloc",
        "xRealloc",
        "free",
        "xFree",
      ];
      assert.deepEqual(
        bridge.errors.map(({ hook, error }) => [
          hook,
          error.constructor,
          error.message,
        ]),
        hooks.map((hook) => [hook, Error, message]),
      );
      assert.deepEqual(seen, hooks.map((hook) => `${hook}: ${message}`));
      assert.equal(bridge.refusedCalls, 10);
      assert.equal(bridge.bytesUsed, 32); // p is still C's
      assert.equal(c.usableSize(p), 32n);
    });
  }
});

// C expects a pointer of its own from malloc(0): a bump allocator's next
// block would start at the same address (the size table then held two
// entries for it). Each 0-byte request gets a 1-byte block.
const zeroParents: {
  name: string;
  make(pages: OsPages): Allocator;
  /** What usableSize tells C of malloc(0)'s block. */
  zero: number;
}[] = [
  { name: "Heap", make: (pages) => new Heap({ pages }), zero: 16 },
  { name: "Heap, sized", make: (pages) => sized(new Heap({ pages })), zero: 1 },
  { name: "Arena", make: (parent) => new Arena({ parent }), zero: 1 },
  {
    name: "FixedAllocator",
    make: (pages) =>
      new FixedAllocator({
        memory: pages.memory,
        ptr: pages.alloc(4096),
        length: 4096,
      }),
    zero: 1,
  },
  {
    name: "Pool",
    make: (parent) => new Pool({ blockSize: 64, parent }),
    zero: 1,
  },
  {
    name: "DebugAllocator on an Arena",
    make: (parent) =>
      new DebugAllocator({ parent: new Arena({ parent }), quarantine: 0 }),
    zero: 1,
  },
];

Deno.test("bridge: malloc(0) is a block of its own on every parent", async (t) => {
  for (const { name, make, zero } of zeroParents) {
    await t.step(name, () => {
      using pages = new OsPages({ reserve: 2 ** 24 });
      using bridge = new CAllocator(make(pages));
      const c = callers(bridge);
      const z = c.malloc(0n), a = c.malloc(16n), z2 = c.calloc(0n, 8n);
      const z3 = c.realloc(0n, 0n);
      const all = [z, a, z2, z3];
      assert.equal(new Set(all).size, 4, `distinct: ${all}`);
      assert.ok(!all.includes(0n));
      assert.deepEqual(
        all.map((p) => c.usableSize(p)),
        [zero, 16, zero, zero].map(BigInt),
      );
      assert.equal(bridge.bytesUsed, 3 * zero + 16);
      c.free(a);
      assert.deepEqual([c.usableSize(z), c.usableSize(a)], [BigInt(zero), 0n]);
      assert.equal(bridge.bytesUsed, 3 * zero);
      c.free(z);
      c.free(z2);
      c.free(z3);
      assert.equal(bridge.bytesUsed, 0);
      // The one refusal: usableSize of the freed a.
      assert.deepEqual(
        bridge.errors.map(({ hook, error }) => [hook, error.name]),
        [["usableSize", "PointerError"]],
      );
    });
  }
});

Deno.test("bridge: a pointer the allocator hands out twice is refused, never shadowed", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  // A broken allocator: every alloc returns the same block.
  const first = heap.alloc(64);
  const broken: Allocator = {
    memory: heap.memory,
    alloc: () => first,
    resize: (ptr) => ptr,
    free: () => {},
  };
  using bridge = new CAllocator(broken);
  const c = callers(bridge);
  const a = c.malloc(64n);
  assert.equal(a, heap.memory.address! + BigInt(first));
  assert.equal(c.malloc(16n), 0n);
  assert.equal(c.usableSize(a), 64n); // the first entry, unchanged
  assert.equal(bridge.bytesUsed, 64);
  assert.equal(bridge.refusedCalls, 1);
  const [{ hook, error }] = bridge.errors;
  assert.equal(hook, "malloc");
  assert.ok(error instanceof RangeError);
  assert.match(
    error.message,
    new RegExp(
      `^The allocator handed out pointer 0x${first.toString(16)} \\(native 0x${
        a.toString(16)
      }\\) while C still holds a block there`,
    ),
  );
  c.free(a);
  assert.equal(bridge.bytesUsed, 0);
  assert.equal(c.usableSize(a), 0n); // no second entry left behind
});

// DebugAllocator frees a block, then reports what was written past it: C
// holds the block no more, so the bridge forgets it even though free threw.
for (const hook of ["free", "luaAlloc"] as const) {
  Deno.test(`bridge: a ${hook} whose allocator throws after freeing forgets the block`, () => {
    using pages = new OsPages({ reserve: 2 ** 24 });
    using heap = new Heap({ pages });
    const debug = new DebugAllocator({ parent: heap, quarantine: 0 });
    using bridge = new CAllocator(debug);
    const c = callers(bridge);
    const address = heap.memory.address!;
    const a = hook === "free" ? c.malloc(24n) : c.luaAlloc(0n, 0n, 0n, 24n);
    heap.memory.u8[Number(a - address) + 24] = 0; // C overruns by one byte
    if (hook === "free") c.free(a);
    else assert.equal(c.luaAlloc(0n, a, 24n, 0n), 0n);
    assert.equal(bridge.refusedCalls, 1);
    assert.equal(bridge.errors[0].hook, hook);
    assert.ok(bridge.errors[0].error instanceof MemoryCorruptionError);
    assert.equal(bridge.bytesUsed, 0);
    assert.deepEqual(debug.leaks(), []);
    // The same address again, taken and freed with nothing refused.
    const b = hook === "free" ? c.malloc(24n) : c.luaAlloc(0n, 0n, 0n, 24n);
    assert.equal(b, a);
    assert.equal(bridge.bytesUsed, 24);
    if (hook === "free") c.free(b);
    else c.luaAlloc(0n, b, 24n, 0n);
    assert.equal(bridge.refusedCalls, 1);
    assert.equal(bridge.bytesUsed, 0);
    assert.equal(heap.bytesUsed, 0);
  });
}

// An allocator that returns something that is no block of its memory (a
// wrapper that forgot `return`, a string, an offset outside it or not
// 16-aligned): C gets NULL, the refusal names what was returned, and the
// bridge's counters are unchanged (realloc's old block stays C's).
const LENGTH = 2 ** 24; // the memory's bytes (OsPages reserve)
const notBlocks: {
  name: string;
  /** What the broken alloc or resize returns, from a real block `p`. */
  returns: (p: number) => unknown;
  type: ErrorConstructor;
  /** The refusal's parenthesis, from the value returned and the block's bytes. */
  why: (v: unknown, held: number) => string;
}[] = [
  {
    name: "undefined (a wrapper that forgot return)",
    returns: () => undefined,
    type: TypeError,
    why: () => "undefined (not a number)",
  },
  {
    name: "a string",
    returns: (p) => String(p),
    type: TypeError,
    why: (v) => `"${v}" (a string, not a number)`,
  },
  {
    name: "a bigint",
    returns: (p) => BigInt(p),
    type: TypeError,
    why: (v) => `${v}n (a bigint, not a number)`,
  },
  {
    name: "an object",
    returns: () => ({}),
    type: TypeError,
    why: () => "an object (not a number)",
  },
  {
    name: "NaN",
    returns: () => NaN,
    type: RangeError,
    why: () => "NaN (not a safe integer)",
  },
  {
    name: "a fraction",
    returns: (p) => p + 0.5,
    type: RangeError,
    why: (v) => `${v} (not a safe integer)`,
  },
  {
    name: "2^60",
    returns: () => 2 ** 60,
    type: RangeError,
    why: () => "1152921504606846976 (not a safe integer)",
  },
  {
    name: "-16, before the memory",
    returns: () => -16,
    type: RangeError,
    why: () => `-16 (outside its ${LENGTH} bytes)`,
  },
  {
    name: "0",
    returns: () => 0,
    type: RangeError,
    why: () => `0x0 (outside its ${LENGTH} bytes)`,
  },
  {
    name: "2^52, past the memory",
    returns: () => 2 ** 52,
    type: RangeError,
    why: () => `0x10000000000000 (outside its ${LENGTH} bytes)`,
  },
  {
    name: "the memory's last 16 bytes",
    returns: () => LENGTH - 16,
    type: RangeError,
    why: (_, held) => `0xfffff0 (its ${held} bytes run past the memory's end)`,
  },
  {
    name: "8 bytes into a block",
    returns: (p) => p + 8,
    type: RangeError,
    why: (v) =>
      `0x${
        (v as number).toString(16)
      } (not aligned to 16 bytes, as C's malloc is)`,
  },
];

const noBlock = (method: string, why: string) =>
  `The allocator's ${method} returned ${why}, which is no block of its memory: C gets NULL; the allocator is broken`;

Deno.test("bridge: a pointer the allocator returns that is no block of its memory is refused", async (t) => {
  for (const { name, returns, type, why } of notBlocks) {
    await t.step(name, () => {
      using pages = new OsPages({ reserve: LENGTH });
      using heap = new Heap({ pages });
      const ref = heap.alloc(64); // the block the bad values are made from
      let bad = false;
      const returned: unknown[] = [];
      const broken = (p: number) => {
        const v = returns(p);
        returned.push(v);
        return v as number;
      };
      // Bad: alloc and resize change nothing and return the value.
      const wrapper: Allocator = {
        memory: heap.memory,
        alloc: (size) => bad ? broken(ref) : heap.alloc(size),
        resize: (ptr, oldSize, newSize) =>
          bad ? broken(ptr) : heap.resize(ptr, oldSize, newSize),
        free: (ptr, size) => heap.free(ptr, size),
      };
      using bridge = new CAllocator(wrapper);
      const c = callers(bridge);
      const q = c.malloc(64n), l = c.luaAlloc(0n, 0n, 0n, 64n);
      bad = true;
      assert.deepEqual(
        [
          c.malloc(64n),
          c.luaAlloc(0n, 0n, 0n, 64n),
          c.realloc(q, 200n),
          c.luaAlloc(0n, l, 64n, 200n),
          c.xRealloc(q, 100),
        ],
        [0n, 0n, 0n, 0n, 0n],
      );
      const calls: [string, string, number][] = [
        ["malloc", "alloc", 64],
        ["luaAlloc", "alloc", 64],
        ["realloc", "resize", 200],
        ["luaAlloc", "resize", 200],
        ["xRealloc", "resize", 100],
      ];
      assert.deepEqual(
        bridge.errors.map(({ hook, error }) => [
          hook,
          error.constructor,
          error.message,
        ]),
        calls.map(([hook, method, held], i) => [
          hook,
          type,
          noBlock(method, why(returned[i], held)),
        ]),
      );
      assert.equal(bridge.refusedCalls, 5);
      // C keeps the two blocks it had, at their sizes.
      assert.equal(bridge.bytesUsed, 128);
      assert.equal(c.usableSize(q), 64n);
      bad = false;
      c.free(q);
      assert.equal(c.luaAlloc(0n, l, 64n, 0n), 0n);
      assert.equal(bridge.bytesUsed, 0);
      assert.equal(bridge.refusedCalls, 5);
      assert.equal(heap.bytesUsed, 64); // ref
      heap.validate();
    });
  }
});

Deno.test("bridge: a block whose growth to its usable size returns no block is refused", () => {
  using pages = new OsPages({ reserve: LENGTH });
  using heap = new Heap({ pages });
  const wrapper = {
    memory: heap.memory,
    alloc: (size: number) => heap.alloc(size),
    resize: () => undefined as unknown as number, // forgot return
    free: (ptr: number, size: number) => heap.free(ptr, size),
    usableSize: (ptr: number) => heap.usableSize(ptr),
  };
  using bridge = new CAllocator(wrapper);
  const c = callers(bridge);
  assert.equal(c.malloc(100n), 0n); // 128 bytes of room: resize(p, 100, 128)
  assert.deepEqual(
    bridge.errors.map((
      { hook, error },
    ) => [hook, error.constructor, error.message]),
    [["malloc", TypeError, noBlock("resize", "undefined (not a number)")]],
  );
  assert.equal(bridge.refusedCalls, 1);
  assert.equal(bridge.bytesUsed, 0);
  assert.equal(heap.bytesUsed, 128); // the block is left to the allocator
});

Deno.test("bridge: a usable size that is no size of the block is not believed", () => {
  using pages = new OsPages({ reserve: LENGTH });
  using heap = new Heap({ pages });
  for (const answer of [NaN, 50, LENGTH, undefined]) {
    using bridge = new CAllocator({
      ...sized(heap),
      usableSize: () => answer,
    } as Allocator);
    const c = callers(bridge);
    const p = c.malloc(100n);
    assert.notEqual(p, 0n);
    assert.equal(bridge.bytesUsed, 100, String(answer)); // its size, not the answer
    assert.equal(c.usableSize(p), 100n);
    c.free(p);
    assert.equal(bridge.bytesUsed, 0);
    assert.equal(bridge.refusedCalls, 0);
  }
  assert.equal(heap.bytesUsed, 0);
});

Deno.test("bridge: errors is a frozen copy the caller cannot change", () => {
  using pages = new OsPages({ reserve: LENGTH });
  using heap = new Heap({ pages });
  using bridge = new CAllocator(heap, { maxBytes: 0 });
  const c = callers(bridge);
  assert.equal(bridge.errors.length, 0);
  assert.equal(c.malloc(16n), 0n);
  const errors = bridge.errors;
  assert.ok(Object.isFrozen(errors));
  assert.ok(Object.isFrozen(errors[0]));
  assert.equal(bridge.errors, errors); // the same copy until the next refusal
  const writable = errors as RefusedCall[];
  assert.throws(() => writable.push(errors[0]), TypeError);
  assert.throws(() => writable.length = 0, TypeError);
  assert.throws(() => {
    (writable[0] as { hook: string }).hook = "free";
  }, TypeError);
  assert.deepEqual(bridge.errors.map((e) => e.hook), ["malloc"]);
  assert.equal(c.malloc(16n), 0n);
  assert.notEqual(bridge.errors, errors);
  assert.deepEqual(bridge.errors.map((e) => e.hook), ["malloc", "malloc"]);
  assert.equal(errors.length, 1); // an old copy stays as it was
});

// Lua raises a memory error when a shrink fails (luaM_shrinkvector): on a
// full heap, a large block shrunk to a chunk's size stays where it is.
Deno.test("bridge: luaAlloc shrinking a large block on a full heap keeps it", () => {
  using pages = new OsPages({ reserve: 2 ** 22 });
  using heap = new Heap({ pages });
  using bridge = new CAllocator(heap);
  const c = callers(bridge);
  const big = c.luaAlloc(0n, 0n, 0n, 2n ** 20n);
  const fill: number[] = [];
  assert.throws(() => {
    for (;;) fill.push(heap.alloc(16));
  }, OutOfMemoryError);
  const used = heap.bytesUsed;
  assert.equal(c.luaAlloc(0n, big, 2n ** 20n, 100n), big);
  assert.equal(c.luaAlloc(0n, big, 100n, 16n), big);
  assert.equal(bridge.refusedCalls, 0);
  assert.equal(bridge.bytesUsed, 16);
  assert.equal(heap.bytesUsed, used - 2 ** 20 + 16);
  heap.validate();
  assert.equal(c.luaAlloc(0n, big, 16n, 0n), 0n);
  for (const p of fill) heap.free(p, 16);
  assert.equal(heap.bytesUsed, 0);
  assert.equal(bridge.bytesUsed, 0);
  heap.validate();
});
