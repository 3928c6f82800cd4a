// WorkerHeap and SharedPages in one thread, two instances standing for two
// workers (`a` and `b` attached to one handle): each remote-free rule as a
// case — the calls, what is refused and how, and the counters afterwards.
// tests/workers_test.ts runs them in real workers.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { DestroyedError, PointerError, SharedPages } from "../os/mod.ts";

interface Env {
  a: WorkerHeap;
  b: WorkerHeap;
  pages: SharedPages;
  ptr: Record<string, number>;
}

interface Case {
  name: string;
  run(env: Env): void;
  /** A call that must be refused at once, in the worker that makes it. */
  refused?: [
    call: (env: Env) => unknown,
    reason: PointerError["reason"] | "destroyed",
    message: RegExp,
  ];
  /** Counters afterwards (before anything else is collected). */
  expect: { aUsed: number; bUsed: number; aWaiting: number };
  after?(env: Env): void;
}

const cases: Case[] = [
  {
    name: "a remote free waits for the owner, and its next alloc collects it",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(100);
      b.free(ptr.p, 100);
      assert.equal(a.bytesUsed, 128); // not yet collected
      assert.equal(a.waitingFrees, 1);
      ptr.q = a.alloc(100); // collects first: the chunk comes straight back
      assert.equal(ptr.q, ptr.p);
    },
    expect: { aUsed: 128, bUsed: 0, aWaiting: 0 },
  },
  {
    name:
      "a remote free in the last 512 bytes of a page waits, and validate() says so",
    run: ({ a, b, ptr }) => {
      // 253 chunks of 16 fill a span: the last starts 16 bytes before its end.
      const chunks = Array.from({ length: 253 }, () => a.alloc(16));
      ptr.p = chunks[252];
      assert.equal(ptr.p % 4096, 4080);
      for (const c of chunks.slice(0, 252)) a.free(c, 16);
      b.free(ptr.p, 16);
      assert.equal(a.waitingFrees, 1);
      assert.throws(
        () => a.validate(),
        /^Error: Heap \d+ has 1 remote frees waiting: collect\(\) first$/,
      );
    },
    expect: { aUsed: 16, bUsed: 0, aWaiting: 1 },
  },
  {
    name:
      "one heap's collect leaves another heap's remote frees waiting for it",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(64);
      ptr.q = b.alloc(64); // in the same word of the shared bitmaps as p
      b.free(ptr.p, 64);
      a.free(ptr.q, 64);
      assert.equal(a.collect(), 1);
      assert.equal(b.waitingFrees, 1);
      assert.equal(a.collect(), 0);
      assert.equal(b.waitingFrees, 1);
      assert.equal(b.collect(), 1);
      ptr.r = b.alloc(64); // the chunk came back to b
      assert.equal(ptr.r, ptr.q);
    },
    expect: { aUsed: 0, bUsed: 64, aWaiting: 0 },
  },
  {
    name: "a large block freed remotely",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(10000);
      b.free(ptr.p, 10000);
      assert.equal(a.collect(), 1);
    },
    expect: { aUsed: 0, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "a second remote free before the owner collects is a double free",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(24);
      b.free(ptr.p, 24);
    },
    refused: [
      ({ b, ptr }) => b.free(ptr.p, 24),
      "double-free",
      /was freed already by a worker: double free \(worker heap \d+ has not collected it yet\)$/,
    ],
    expect: { aUsed: 32, bUsed: 0, aWaiting: 1 },
  },
  {
    name: "a pointer in no heap's pages is foreign",
    run: ({ pages, ptr }) => {
      ptr.p = pages.alloc(4096); // a run of the page source, no heap's
      pages.free(ptr.p, 4096);
    },
    refused: [
      ({ b, ptr }) => b.free(ptr.p + 64, 16),
      "foreign",
      /is in no worker heap's pages/,
    ],
    expect: { aUsed: 0, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "an unaligned pointer into another heap's span",
    run: ({ a, ptr }) => ptr.p = a.alloc(64),
    refused: [
      ({ b, ptr }) => b.free(ptr.p + 8, 64),
      "unaligned",
      /is not a multiple of 16/,
    ],
    expect: { aUsed: 64, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "a pointer into another heap's span header",
    run: ({ a, ptr }) => ptr.p = a.alloc(64),
    refused: [
      // Not its first byte: a page's start may be a large block's.
      ({ b, ptr }) => b.free(ptr.p - 32, 64),
      "interior",
      /is in a page header of worker heap/,
    ],
    expect: { aUsed: 64, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "a pointer to the last grain of another heap's span header",
    run: ({ a, ptr }) => ptr.p = a.alloc(64),
    refused: [
      ({ b, ptr }) => b.free(ptr.p - 16, 64),
      "interior",
      /is in a page header of worker heap/,
    ],
    expect: { aUsed: 64, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "a bad size is refused before anything is marked",
    run: ({ a, ptr }) => ptr.p = a.alloc(64),
    refused: [
      ({ b, ptr }) => b.free(ptr.p, -1),
      "out-of-range",
      /^Size must be a non-negative integer, got -1$/,
    ],
    expect: { aUsed: 64, bUsed: 0, aWaiting: 0 },
  },
  {
    name:
      "what only the owner can tell is refused when it collects: inside a block, freed already",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(64);
      ptr.q = a.alloc(16);
      a.free(ptr.q, 16);
      b.free(ptr.p + 16, 64); // inside p
      b.free(ptr.q, 16); // the owner freed it already
      assert.throws(() => a.collect(), PointerError);
      assert.deepEqual(a.remoteErrors.map((e) => e.reason), [
        "interior",
        "double-free",
      ]);
      assert.match(
        a.remoteErrors[0].message,
        /^A free of 0x[0-9a-f]+ \(\d+\) by another worker was refused: /,
      );
      a.validate(); // unchanged
    },
    expect: { aUsed: 64, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "resizing another heap's block moves it into this heap",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(32);
      a.memory.u8.set([1, 2, 3], ptr.p);
      ptr.q = b.resize(ptr.p, 32, 200);
      assert.deepEqual([...b.memory.bytes(ptr.q, 4)], [1, 2, 3, 0]);
      assert.equal(a.collect(), 1);
    },
    expect: { aUsed: 0, bUsed: 256, aWaiting: 0 }, // 200 bytes: class 256
  },
  {
    name:
      "a remote resize with too large an old size copies no further than the chunk's page",
    run: ({ a, b, ptr }) => {
      ptr.p = a.alloc(16);
      const room = 4096 - (ptr.p % 4096); // what a chunk here can hold at most
      // A's next span page: three 1024-byte chunks of 0x42.
      const next = [0, 1, 2].map(() => a.alloc(1024));
      assert.equal(next[0] - (next[0] % 4096), ptr.p - (ptr.p % 4096) + 4096);
      for (const n of next) a.memory.u8.fill(0x42, n, n + 1024);
      ptr.q = b.resize(ptr.p, 12000, 12000); // the owner alone knows 16
      const moved = b.memory.bytes(ptr.q, 12000);
      assert.ok(moved.subarray(room).every((x) => x === 0), "past the page");
      assert.equal(a.collect(), 1);
      for (const n of next) a.free(n, 1024);
    },
    expect: { aUsed: 0, bUsed: 12000, aWaiting: 0 },
  },
  {
    name: "own frees and resizes stay local",
    run: ({ a, ptr }) => {
      ptr.p = a.alloc(32);
      ptr.q = a.resize(ptr.p, 32, 48);
      assert.equal(a.bytesUsed, 48); // a's own resize: nothing waits
      assert.equal(a.waitingFrees, 0);
      a.free(ptr.q, 48);
    },
    expect: { aUsed: 0, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "after the owner is destroyed its blocks are foreign",
    run: ({ a, ptr }) => {
      ptr.p = a.alloc(64);
      a.destroy();
    },
    refused: [
      ({ b, ptr }) => b.free(ptr.p, 64),
      "foreign",
      /in no worker heap's pages \(never allocated, or its heap gave them back\)/,
    ],
    expect: { aUsed: 0, bUsed: 0, aWaiting: 0 },
  },
  {
    name: "a shared source destroyed in one worker is destroyed for all",
    run: ({ a, pages, ptr }) => {
      ptr.p = a.alloc(64);
      pages.destroy();
    },
    refused: [
      ({ b }) => b.alloc(16),
      "destroyed",
      /after .*destroy/,
    ],
    expect: { aUsed: 64, bUsed: 0, aWaiting: 0 },
  },
];

for (const c of cases) {
  Deno.test(`WorkerHeap: ${c.name}`, () => {
    const pages = new SharedPages({ reserve: 2 ** 22 });
    const a = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
    const b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
    const env: Env = { a, b, pages, ptr: {} };
    c.run(env);
    if (c.refused) {
      const [call, reason, message] = c.refused;
      const before = [a.bytesUsed, b.bytesUsed, a.waitingFrees];
      assert.throws(() => call(env), (e: unknown) => {
        if (reason === "destroyed") assert.ok(e instanceof DestroyedError);
        else {
          assert.ok(
            e instanceof PointerError || e instanceof RangeError,
            `${e}`,
          );
          if (e instanceof PointerError) assert.equal(e.reason, reason);
        }
        assert.match((e as Error).message, message);
        return true;
      });
      assert.deepEqual([a.bytesUsed, b.bytesUsed, a.waitingFrees], before);
    }
    assert.deepEqual(
      { aUsed: a.bytesUsed, bUsed: b.bytesUsed, aWaiting: a.waitingFrees },
      c.expect,
    );
    if (!pages.destroyed) {
      if (!a.destroyed && a.waitingFrees !== 0) a.collect();
      if (!a.destroyed) a.validate();
      b.validate();
    }
    c.after?.(env);
    b.destroy();
    a.destroy();
    pages.destroy();
  });
}

Deno.test("WorkerHeap: one heap per page source instance, and only on SharedPages", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  using heap = new WorkerHeap({ pages });
  assert.throws(
    () => new WorkerHeap({ pages }),
    /^RangeError: SharedPages instance 1 has a WorkerHeap already/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new WorkerHeap({ pages: {} as any }),
    /^TypeError: Pages must be a SharedPages/,
  );
  assert.equal(heap.id, 1);
  heap.destroy();
  assert.throws(
    () => heap.collect(),
    /^DestroyedError: Worker heap was used after destroy\(\)/,
  );
  assert.throws(() => heap.alloc(16), DestroyedError);
});

Deno.test("WorkerHeap: bytesUsed, bytesReserved and peakReserved are its heap's", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  using heap = new WorkerHeap({ pages });
  const big = heap.alloc(3 * 4096);
  const small = heap.alloc(16);
  // Its own page, a 3-page block, a 64 KiB segment for the chunk.
  const peak = 4096 + 3 * 4096 + 65536;
  assert.deepEqual(
    [heap.bytesUsed, heap.bytesReserved, heap.peakReserved],
    [3 * 4096 + 16, peak, peak],
  );
  heap.free(big);
  heap.free(small);
  heap.heap.trim();
  assert.deepEqual(
    [heap.bytesUsed, heap.bytesReserved, heap.peakReserved],
    [0, 4096, peak],
  );
  assert.equal(heap.peakReserved, heap.heap.peakReserved);
});

Deno.test("SharedPages: owners, ids and handles", () => {
  using pages = new SharedPages({ reserve: 2 ** 20 });
  const other = SharedPages.attach(structuredClone(pages.handle));
  assert.deepEqual([pages.id, other.id], [1, 2]);
  const p = other.alloc(3 * 4096);
  assert.deepEqual(
    [p - 1, p, p + 3 * 4096 - 1, p + 3 * 4096].map((x) => pages.ownerOf(x)),
    [0, 2, 2, 0],
  );
  const q = pages.resize(p, 3 * 4096, 5 * 4096); // grows in place: now 1's
  assert.equal(q, p);
  assert.equal(pages.ownerOf(p + 4 * 4096), 1);
  pages.free(q, 5 * 4096);
  assert.equal(other.ownerOf(p), 0);
  // A SharedArrayBuffer cannot give memory back: purging zeroes, and the
  // five pages handed out stay committed.
  pages.purge();
  assert.deepEqual([pages.purgedBytes, pages.committedBytes], [0, 5 * 4096]);
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => SharedPages.attach({ memory: new ArrayBuffer(8) } as any),
    /^TypeError: Handle must be a SharedPages handle/,
  );
});
