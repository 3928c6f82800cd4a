// DebugAllocator: each detection as a case — what the program does wrong, and
// the report it must get (the contract suite runs the Allocator contract on
// it too). Every case runs on a Heap on BufferPages.
import assert from "node:assert/strict";
import {
  DebugAllocator,
  type DebugAllocatorOptions,
  LeakError,
  MemoryCorruptionError,
} from "../debug/mod.ts";
import { Arena } from "../arena/mod.ts";
import { Heap } from "../heap/mod.ts";
import {
  type Allocator,
  BufferPages,
  DestroyedError,
  PointerError,
} from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";

interface Env {
  debug: DebugAllocator;
  heap: Heap;
  ptr: Record<string, number>;
  /** A debug allocator on `debug`, for a case that needs one. */
  inner?: DebugAllocator;
}

interface Case {
  name: string;
  options?: Partial<DebugAllocatorOptions>;
  /** What the program does, up to the call that must be caught. */
  run(env: Env): void;
  /** The call that must throw, and what it must throw. */
  caught?: [
    call: (env: Env) => unknown,
    error:
      | typeof MemoryCorruptionError
      | typeof PointerError
      | typeof LeakError
      | typeof RangeError,
    message: RegExp | ((env: Env) => string),
  ];
  /**
   * The messages of the thrown MemoryCorruptionError's `others`, in order
   * (none when omitted).
   */
  others?: (env: Env) => string[];
  /** Checks afterwards. */
  after?(env: Env): void;
}

const THIS_FILE = /debug_allocator_test\.ts/;

const hex = (n: number) => `0x${n.toString(16)} (${n})`;
const overflow = (size: number, ptr: number, byte: number) =>
  `Byte ${hex(byte)} past the end of the ${size}-byte allocation at ${
    hex(ptr)
  } was written (a buffer overflow)`;
const useAfterFree = (size: number, ptr: number, byte: number) =>
  `Byte ${hex(byte)} of the ${size}-byte allocation at ${
    hex(ptr)
  } was written after it was freed (a use after free)`;
const ONE_MORE = " (and 1 more corruption: see .others)";

const cases: Case[] = [
  {
    name:
      "a write one byte past the end is caught on free, and the block is freed",
    options: { quarantine: 0 },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(24);
      debug.memory.u8[ptr.a + 24] = 1;
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.a, 24),
      MemoryCorruptionError,
      /^Byte 0x[0-9a-f]+ \(\d+\) past the end of the 24-byte allocation at 0x[0-9a-f]+ \(\d+\) was written \(a buffer overflow\)$/,
    ],
    after: ({ debug, heap }) => {
      assert.deepEqual(debug.leaks(), []);
      assert.equal(heap.bytesUsed, 0);
    },
  },
  {
    name: "a write just before the start is caught by check()",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(100);
      debug.memory.u8[ptr.a - 1] = 9;
    },
    caught: [
      ({ debug }) => debug.check(),
      MemoryCorruptionError,
      /before the 100-byte allocation at .* was written/,
    ],
    after: ({ debug, ptr }) => assert.equal(debug.leaks()[0].ptr, ptr.a),
  },
  {
    name: "a freed block is filled with junk and kept in quarantine",
    options: { junk: 0xcc },
    run: ({ debug, heap, ptr }) => {
      ptr.a = debug.alloc(40);
      debug.memory.u8.fill(7, ptr.a, ptr.a + 40);
      const used = heap.bytesUsed;
      debug.free(ptr.a, 40);
      assert.deepEqual(
        [...new Set(debug.memory.u8.subarray(ptr.a, ptr.a + 40))],
        [0xcc],
      );
      assert.equal(debug.quarantined, 40 + 32);
      assert.equal(heap.bytesUsed, used); // not given back yet
      ptr.b = debug.alloc(40);
      assert.notEqual(ptr.b, ptr.a); // the quarantine delays reuse
    },
  },
  {
    name: "without quarantine a freed block is reused at once",
    options: { quarantine: 0 },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(40);
      debug.free(ptr.a, 40);
      assert.equal(debug.alloc(40), ptr.a);
    },
  },
  {
    name: "a write after free is caught when the block leaves the quarantine",
    options: { quarantine: 64, stacks: true },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(16);
      debug.free(ptr.a, 16); // 48 bytes held
      debug.memory.u8[ptr.a + 3] = 1; // the bug
      ptr.b = debug.alloc(16);
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.b, 16), // 96 bytes: a leaves
      MemoryCorruptionError,
      /of the 16-byte allocation at .* was written after it was freed \(a use after free\); allocated at\n.*debug_allocator_test\.ts[^]*; freed at\n.*debug_allocator_test\.ts/,
    ],
    after: ({ debug }) => assert.equal(debug.quarantined, 48),
  },
  {
    name:
      "the quarantine lets blocks go oldest first, through many frees, and check() sees the rest",
    options: { quarantine: 100 * 48 },
    run: ({ debug, heap, ptr }) => {
      const freed: number[] = [];
      for (let i = 0; i < 300; i++) {
        const p = debug.alloc(16);
        debug.free(p, 16);
        freed.push(p);
      }
      // 100 blocks of 48 bytes held: the last 100 freed, none reused.
      assert.equal(debug.quarantined, 100 * 48);
      assert.equal(heap.bytesUsed, 100 * 48);
      assert.equal(new Set(freed.slice(200)).size, 100);
      ptr.a = freed[299]; // the newest: still held, still junk
      debug.memory.u8[ptr.a] = 5;
    },
    caught: [
      ({ debug }) => debug.check(),
      MemoryCorruptionError,
      /^Byte 0x[0-9a-f]+ \(\d+\) of the 16-byte allocation at .* was written after it was freed/,
    ],
  },
  {
    name: "check() also finds a write after free in the quarantine",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(16);
      debug.free(ptr.a, 16);
      debug.memory.u8[ptr.a + 15] = 2;
    },
    caught: [
      ({ debug }) => debug.check(),
      MemoryCorruptionError,
      /was written after it was freed/,
    ],
  },
  {
    name: "leaks() lists every live allocation, with where it was made",
    options: { stacks: true },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(10);
      ptr.b = debug.alloc(20);
      ptr.c = debug.alloc(30);
      debug.free(ptr.b, 20);
      const leaks = debug.leaks();
      assert.deepEqual(leaks.map((l) => [l.ptr, l.size]), [
        [ptr.a, 10],
        [ptr.c, 30],
      ]);
      assert.match(leaks[0].allocatedAt!, THIS_FILE);
    },
  },
  {
    name: "destroy() gives everything back and reports the leaks",
    options: { stacks: true },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(10);
      debug.free(debug.alloc(5), 5); // in quarantine
    },
    caught: [
      ({ debug }) => debug.destroy(),
      LeakError,
      /^1 allocation\(s\) never freed: 10 bytes at 0x[0-9a-f]+ \(\d+\); allocated at\n.*debug_allocator_test\.ts/,
    ],
    after: ({ heap }) => assert.equal(heap.bytesUsed, 0),
  },
  {
    name: "a double free names where the block was allocated and freed",
    options: { stacks: true },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(64);
      debug.free(ptr.a, 64);
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.a, 64),
      PointerError,
      /^Pointer 0x[0-9a-f]+ \(\d+\) was freed already: double free; allocated at\n.*debug_allocator_test\.ts[^]*; freed at\n.*debug_allocator_test\.ts/,
    ],
  },
  {
    name: "a stale pointer after a resize is a double free",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(8);
      debug.memory.u8.set([1, 2, 3], ptr.a);
      ptr.b = debug.resize(ptr.a, 8, 100); // always moves
      assert.notEqual(ptr.b, ptr.a);
      assert.deepEqual([...debug.memory.u8.subarray(ptr.b, ptr.b + 4)], [
        1,
        2,
        3,
        0,
      ]);
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.a, 8),
      PointerError,
      /double free/,
    ],
  },
  {
    name: "an interior pointer and a wrong size are refused",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(64);
      assert.throws(
        () => debug.free(ptr.a, 63),
        /Size 63 does not match the allocation at .* of 64 bytes/,
      );
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.a + 16, 48),
      PointerError,
      /is inside the allocation at .*, not its start/,
    ],
    after: ({ debug, ptr }) => {
      debug.free(ptr.a, 64); // nothing changed: it frees normally
      assert.deepEqual(debug.leaks(), []);
    },
  },
  {
    name: "a pointer one past a live allocation is no allocation",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(64);
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.a + 64, 16),
      PointerError,
      /is no allocation of this debug allocator/,
    ],
    after: ({ debug, ptr }) => {
      debug.free(ptr.a, 64);
      assert.deepEqual(debug.leaks(), []);
    },
  },
  {
    name:
      "a resize that would push a block written after its free out of the quarantine throws before it moves",
    options: { quarantine: 64 },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(16);
      debug.free(ptr.a, 16);
      debug.memory.u8[ptr.a] = 1;
      ptr.p = debug.alloc(16);
      debug.memory.u8[ptr.p] = 42;
    },
    caught: [
      ({ debug, ptr }) => debug.resize(ptr.p, 16, 32),
      MemoryCorruptionError,
      /^Byte 0x[0-9a-f]+ \(\d+\) of the 16-byte allocation at 0x[0-9a-f]+ \(\d+\) was written after it was freed/,
    ],
    after: ({ debug, heap, ptr }) => {
      // The old block is live and whole; the written one went back.
      assert.deepEqual(debug.leaks().map((b) => [b.ptr, b.size]), [[
        ptr.p,
        16,
      ]]);
      assert.equal(debug.memory.u8[ptr.p], 42);
      const moved = debug.resize(ptr.p, 16, 32);
      assert.equal(debug.memory.u8[moved], 42);
      debug.free(moved, 32);
      assert.deepEqual(debug.leaks(), []);
      debug.destroy();
      assert.equal(heap.bytesUsed, 0);
    },
  },
  {
    name:
      "a resize its parent refuses gives nothing in the quarantine back first",
    options: { quarantine: 100 },
    run: ({ debug, heap, ptr }) => {
      ptr.a = debug.alloc(40);
      ptr.b = debug.alloc(40);
      debug.free(ptr.a, 40);
      ptr.used = heap.bytesUsed;
    },
    caught: [
      ({ debug, ptr }) => debug.resize(ptr.b, 40, 2 ** 40),
      RangeError,
      /^Size 1099511627776 exceeds what the debug allocator's parent can hold/,
    ],
    after: ({ debug, heap, ptr }) => {
      // a is still held, so a write into it is still found.
      assert.equal(heap.bytesUsed, ptr.used);
      assert.equal(debug.quarantined, 72);
      debug.memory.u8[ptr.a] = 1;
      assert.throws(() => debug.free(ptr.b, 40), MemoryCorruptionError);
    },
  },
  {
    name: "a pointer of the parent's own is foreign",
    run: ({ heap, ptr }) => {
      ptr.a = heap.alloc(64);
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.a, 64),
      PointerError,
      /is no allocation of this debug allocator/,
    ],
  },
  {
    name:
      "a free that finds its own overflow and evicts a block written after its free reports both",
    options: { quarantine: 200 },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(64);
      ptr.b = debug.alloc(100);
      debug.free(ptr.a, 64); // 96 bytes held
      debug.memory.u8[ptr.a] = 1; // a use after free
      debug.memory.u8[ptr.b + 100] = 1; // an overflow
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.b, 100), // 228 bytes: a leaves
      MemoryCorruptionError,
      ({ ptr }) => overflow(100, ptr.b, ptr.b + 100) + ONE_MORE,
    ],
    others: ({ ptr }) => [useAfterFree(64, ptr.a, ptr.a)],
    after: ({ debug, heap }) => {
      // b freed and held, a given back: nothing lost, nothing left to find.
      assert.deepEqual(debug.leaks(), []);
      assert.equal(debug.quarantined, 132);
      assert.equal(heap.bytesUsed, 192); // b's 132 bytes in a 192-byte class
      debug.check();
    },
  },
  {
    name:
      "two blocks written after their free, evicted by one free, are both reported",
    options: { quarantine: 100 },
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(16);
      ptr.b = debug.alloc(16);
      debug.free(ptr.a, 16);
      debug.free(ptr.b, 16); // 96 bytes held
      debug.memory.u8[ptr.a + 2] = 1;
      debug.memory.u8[ptr.b + 15] = 1;
      ptr.c = debug.alloc(64);
    },
    caught: [
      ({ debug, ptr }) => debug.free(ptr.c, 64), // 192 bytes: a and b leave
      MemoryCorruptionError,
      ({ ptr }) => useAfterFree(16, ptr.a, ptr.a + 2) + ONE_MORE,
    ],
    others: ({ ptr }) => [useAfterFree(16, ptr.b, ptr.b + 15)],
    after: ({ debug, heap }) => {
      assert.equal(debug.quarantined, 96);
      assert.equal(heap.bytesUsed, 96);
    },
  },
  {
    name: "check() reports an overflow and a use after free together",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(24);
      debug.memory.u8[ptr.a + 24] = 1;
      ptr.b = debug.alloc(16);
      debug.free(ptr.b, 16);
      debug.memory.u8[ptr.b + 1] = 1;
    },
    caught: [
      ({ debug }) => debug.check(),
      MemoryCorruptionError,
      ({ ptr }) => overflow(24, ptr.a, ptr.a + 24) + ONE_MORE,
    ],
    others: ({ ptr }) => [useAfterFree(16, ptr.b, ptr.b + 1)],
    after: ({ debug, ptr }) => {
      // check() changes nothing: the same report again.
      assert.throws(() => debug.check(), {
        message: overflow(24, ptr.a, ptr.a + 24) + ONE_MORE,
      });
    },
  },
  {
    name:
      "destroy() reports a write after free in its quarantine, and gives every block back",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(16);
      debug.free(ptr.a, 16); // in quarantine
      debug.memory.u8[ptr.a + 3] = 1;
    },
    caught: [
      ({ debug }) => debug.destroy(),
      MemoryCorruptionError,
      ({ ptr }) => useAfterFree(16, ptr.a, ptr.a + 3),
    ],
    after: ({ debug, heap }) => {
      assert.equal(debug.destroyed, true);
      assert.equal(heap.bytesUsed, 0);
      debug.destroy(); // again: nothing
    },
  },
  {
    name:
      "destroy() reports an overflow of a leaked block and a use after free together, before the leak",
    run: ({ debug, ptr }) => {
      ptr.a = debug.alloc(24);
      debug.memory.u8[ptr.a + 24] = 1;
      ptr.b = debug.alloc(16);
      debug.free(ptr.b, 16);
      debug.memory.u8[ptr.b + 15] = 1;
    },
    caught: [
      ({ debug }) => debug.destroy(),
      MemoryCorruptionError,
      ({ ptr }) => overflow(24, ptr.a, ptr.a + 24) + ONE_MORE,
    ],
    others: ({ ptr }) => [useAfterFree(16, ptr.b, ptr.b + 15)],
    after: ({ debug, heap }) => {
      assert.equal(debug.destroyed, true);
      assert.equal(heap.bytesUsed, 0);
    },
  },
  {
    name:
      "destroy() on a debug parent that refuses two blocks reports both, and gives every block back",
    options: { quarantine: 0 },
    run: (env) => {
      const inner = env.inner = new DebugAllocator({
        parent: env.debug,
        quarantine: 0,
      });
      // Each inner block is 40 bytes of the parent's (16 + 8 + 16): the
      // byte just past the inner red zone is the parent's.
      env.ptr.x = inner.alloc(8);
      env.ptr.y = inner.alloc(8);
      env.debug.memory.u8[env.ptr.x + 24] = 1;
      env.debug.memory.u8[env.ptr.y + 24] = 1;
    },
    caught: [
      ({ inner }) => inner!.destroy(),
      MemoryCorruptionError,
      ({ ptr }) => overflow(40, ptr.x - 16, ptr.x + 24) + ONE_MORE,
    ],
    others: ({ ptr }) => [overflow(40, ptr.y - 16, ptr.y + 24)],
    after: ({ debug, heap, inner }) => {
      assert.equal(inner!.destroyed, true);
      assert.deepEqual(debug.leaks(), []);
      assert.equal(heap.bytesUsed, 0);
    },
  },
];

for (const c of cases) {
  Deno.test(`DebugAllocator: ${c.name}`, () => {
    using pages = new BufferPages({ reserve: 2 ** 22 });
    using heap = new Heap({ pages });
    const debug = new DebugAllocator({ parent: heap, ...c.options });
    const env: Env = { debug, heap, ptr: {} };
    c.run(env);
    if (c.caught) {
      const [call, error, message] = c.caught;
      assert.throws(() => call(env), (e: unknown) => {
        assert.ok(e instanceof error, `expected ${error.name}, got ${e}`);
        if (typeof message === "function") {
          assert.equal((e as Error).message, message(env));
        } else assert.match((e as Error).message, message);
        if (e instanceof MemoryCorruptionError) {
          assert.deepEqual(
            e.others.map((o) => [o.constructor, o.message, o.others.length]),
            (c.others?.(env) ?? []).map((m) => [MemoryCorruptionError, m, 0]),
          );
        }
        return true;
      });
    }
    c.after?.(env);
  });
}

// (A page source as the parent: its next block can take a freed one's place.)
Deno.test("DebugAllocator: a freed block's pointer inside a newer live block is interior, not a double free", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  const debug = new DebugAllocator({ parent: pages, quarantine: 0 });
  const a = debug.alloc(16, 64);
  debug.free(a, 16);
  const b = debug.alloc(200);
  assert.deepEqual([a, b], [4160, 4112]);
  assert.throws(() => debug.free(a, 16), (e: unknown) => {
    assert.ok(e instanceof PointerError);
    assert.equal(e.reason, "interior");
    assert.equal(
      e.message,
      "Pointer 0x1040 (4160) is inside the allocation at 0x1010 (4112), not its start",
    );
    return true;
  });
  assert.deepEqual(debug.leaks().map((l) => l.ptr), [b]);
  debug.free(b, 200);
});

Deno.test("DebugAllocator: bad options are refused", () => {
  using pages = new BufferPages({ reserve: 2 ** 20 });
  assert.throws(
    () => new DebugAllocator({ parent: pages, redZone: 8 }),
    /Red zone must be a multiple of 16 bytes/,
  );
  assert.throws(
    () => new DebugAllocator({ parent: pages, junk: 256 }),
    /Junk must be a byte/,
  );
  assert.throws(
    () => new DebugAllocator({ parent: {} as never }),
    /Parent must be an Allocator/,
  );
  for (
    const [options, kind] of [[undefined, "undefined"], [null, "null"], [
      5,
      "number",
    ]]
  ) {
    assert.throws(
      () => new DebugAllocator(options as never),
      new TypeError(
        `DebugAllocator options must be an object, such as { parent }, got ${kind}`,
      ),
    );
  }
});

// Each edge byte of a red zone, and the byte just beyond it. Three 32-byte
// blocks with 16-byte zones fill the heap's 64-byte chunks back to back, so
// the byte just before b's leading zone is the last of a's trailing zone, and
// the byte just after b's trailing zone is the first of c's leading zone:
// those must be blamed on a and c, not on b.
const edgeCases: {
  name: string;
  /** The byte written, from b. */
  offset: number;
  /** Whose block the report names, and how. */
  blamed: "a" | "b" | "c";
  message: RegExp;
}[] = [
  {
    name: "the first byte of the leading red zone",
    offset: -16,
    blamed: "b",
    message: /^Byte .* before the 32-byte allocation at .* was written/,
  },
  {
    name: "the last byte of the leading red zone",
    offset: -1,
    blamed: "b",
    message: /^Byte .* before the 32-byte allocation at/,
  },
  {
    name: "the first byte of the trailing red zone",
    offset: 32,
    blamed: "b",
    message: /^Byte .* past the end of the 32-byte allocation at/,
  },
  {
    name: "the last byte of the trailing red zone",
    offset: 32 + 15,
    blamed: "b",
    message: /^Byte .* past the end of the 32-byte allocation at/,
  },
  {
    name: "the byte before the leading red zone (the block before's)",
    offset: -17,
    blamed: "a",
    message: /^Byte .* past the end of the 32-byte allocation at/,
  },
  {
    name: "the byte after the trailing red zone (the block after's)",
    offset: 32 + 16,
    blamed: "c",
    message: /^Byte .* before the 32-byte allocation at/,
  },
];

Deno.test("DebugAllocator: each edge byte of a red zone is caught, on its own block", async (t) => {
  for (const c of edgeCases) {
    await t.step(c.name, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      using heap = new Heap({ pages });
      const debug = new DebugAllocator({ parent: heap, quarantine: 0 });
      const ptr = {
        a: debug.alloc(32),
        b: debug.alloc(32),
        c: debug.alloc(32),
      };
      assert.deepEqual([ptr.b - ptr.a, ptr.c - ptr.b], [64, 64]);
      const at = ptr.b + c.offset;
      debug.memory.u8[at] = 1;
      const caught = (e: unknown) => {
        assert.ok(e instanceof MemoryCorruptionError, String(e));
        assert.equal(e.block.ptr, ptr[c.blamed]);
        assert.equal(e.at, at);
        assert.match(e.message, c.message);
        return true;
      };
      assert.throws(() => debug.check(), caught);
      // Freeing each block checks only its own zones: b's free reports b's
      // bytes, and nothing else.
      for (const name of ["a", "b", "c"] as const) {
        if (name === c.blamed) {
          assert.throws(() => debug.free(ptr[name], 32), caught);
        } else debug.free(ptr[name], 32);
      }
      assert.equal(heap.bytesUsed, 0);
    });
  }
});

// As an arena's and a pool's: a parent destroyed first took the blocks with
// it, and destroy() still reports the leaks.
Deno.test("DebugAllocator: destroy after its parent still throws the LeakError", async (t) => {
  const parents: [
    string,
    (pages: BufferPages) => Allocator & Disposable & { destroy(): void },
  ][] = [
    ["Heap", (pages) => new Heap({ pages })],
    ["Arena", (parent) => new Arena({ parent })],
    ["Pool", (parent) => new Pool({ blockSize: 64, parent })],
    ["BufferPages", (pages) => pages],
  ];
  for (const [name, make] of parents) {
    await t.step(name, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      const parent = make(pages);
      const debug = new DebugAllocator({ parent });
      const p = debug.alloc(10);
      debug.free(debug.alloc(20), 20); // in quarantine
      parent.destroy();
      assert.throws(() => debug.destroy(), (e: unknown) => {
        assert.ok(e instanceof LeakError, `expected LeakError, got ${e}`);
        assert.match(
          e.message,
          new RegExp(
            `^1 allocation\\(s\\) never freed: 10 bytes at 0x${
              p.toString(16)
            } `,
          ),
        );
        assert.deepEqual(e.leaks.map((b) => [b.ptr, b.size]), [[p, 10]]);
        return true;
      });
      assert.equal(debug.destroyed, true);
      debug.destroy(); // again: nothing
      assert.throws(
        () => debug.alloc(8),
        (e) =>
          e instanceof DestroyedError && /after destroy\(\)/.test(e.message),
      );
    });
  }
});

Deno.test("DebugAllocator: a resize near its parent's limit gets the room the quarantine gives back", () => {
  // 7 usable pages, 7 blocks of 1000 (a page each with red zones), 6 freed
  // into a quarantine that holds them all: the grown block fits only once
  // the one the free gives back is back, as a free then an alloc find.
  using pages = new BufferPages({ reserve: 8 * 4096 });
  using debug = new DebugAllocator({
    parent: pages,
    quarantine: 6 * 1032,
    redZone: 16,
  });
  const blocks = Array.from({ length: 7 }, () => debug.alloc(1000));
  for (const b of blocks.slice(0, 6)) debug.free(b, 1000);
  debug.memory.u8[blocks[6]] = 42;
  const moved = debug.resize(blocks[6], 1000, 2000);
  assert.equal(debug.memory.u8[moved], 42);
  assert.deepEqual(debug.leaks().map((b) => [b.ptr, b.size]), [[moved, 2000]]);
  debug.free(moved, 2000);
});

Deno.test("DebugAllocator: MemoryCorruptionError lists the other corruptions in .others", () => {
  const block = { ptr: 64, size: 8 };
  const one = new MemoryCorruptionError("one", block, 64);
  assert.deepEqual([one.message, one.others, Object.isFrozen(one.others)], [
    "one",
    [],
    true,
  ]);
  const two = new MemoryCorruptionError("two", block, 65);
  const all = [one, two];
  const first = new MemoryCorruptionError("first", block, 70, { others: all });
  all.pop(); // a copy was kept
  assert.equal(first.message, "first (and 2 more corruptions: see .others)");
  assert.deepEqual(first.others, [one, two]);
  assert.equal(Object.isFrozen(first.others), true);
  assert.deepEqual([first.name, first.block, first.at], [
    "MemoryCorruptionError",
    block,
    70,
  ]);
  assert.equal(
    new MemoryCorruptionError("m", block, 1, { others: [one] }).message,
    "m (and 1 more corruption: see .others)",
  );
  assert.equal(
    new MemoryCorruptionError("m", block, 1, { others: [] }).message,
    "m",
  );
});

// On an arena nothing freed below the top is reused: the record of freed
// blocks (to tell a double free from a foreign pointer) keeps the last 65536
// given back, and every quarantined one.
Deno.test("DebugAllocator: a double free is named for the last 65536 blocks given back", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using arena = new Arena({ parent: pages });
  const debug = new DebugAllocator({ parent: arena, quarantine: 0 });
  const blocks = Array.from({ length: 65537 }, () => debug.alloc(1));
  for (const p of blocks) debug.free(p, 1);
  assert.throws(
    () => debug.free(blocks[0], 1),
    new PointerError(
      `Pointer ${
        hex(blocks[0])
      } is no allocation of this debug allocator (another allocator's, never allocated, or a double free of a block given back before the last 65536 it remembers)`,
      blocks[0],
      "foreign",
    ),
  );
  assert.throws(() => debug.free(blocks[1], 1), {
    name: "PointerError",
    message: `Pointer ${hex(blocks[1])} was freed already: double free`,
  });
});
