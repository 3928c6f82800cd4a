// A remote free the owner refuses is kept in remoteErrors, also when it is
// collected in one batch with remote frees that succeed — among them one
// that hands pages back to the shared source (a large block's), which used
// to clear the pending bit of a refused free in those pages before it was
// read: lost, with nothing said. Each case: the owner `a` allocates, `b`
// frees remotely, `a` collects (explicitly, or in its next alloc), and the
// refusals, counters and next allocation are exact. The owner may also
// free the memory itself before it collects (its pages go back to the
// shared source, which clears their pending bits): the frees in it are
// refused all the same, not dropped. Past 100 refusals they are only
// counted, and each collect() still throws its own first one.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import {
  PointerError,
  type PointerErrorReason,
  SharedPages,
} from "../os/mod.ts";

interface Env {
  a: WorkerHeap;
  b: WorkerHeap;
  ptr: Record<string, number>;
}

interface Case {
  name: string;
  /** Allocates in `a` and frees remotely from `b`. */
  run(env: Env): void;
  /** How `a` takes the remote frees back. */
  collect: "collect()" | "alloc";
  /** The refusals kept, in order: pointer, reason, message after the prefix. */
  refused: [ptr: (env: Env) => number, PointerErrorReason, RegExp][];
  /** a.bytesUsed afterwards. */
  used: number;
  /** Allocated after the collect: it must come out at this pointer. */
  next: [size: number, at: (env: Env) => number];
}

// Addresses are exact: on a fresh SharedPages, after b's first segment, a's
// first 100,000-byte large block is at Q.
const Q = 0x13000;

// `a`'s large block at Q freed remotely by `b` at the offsets `remote`
// (from Q; 0 is the block itself), then, if `ownerFirst`, freed by `a`
// itself before it collects. Collected in one batch, the frees inside the
// block are refused as foreign (the block's own free gave its pages back
// first); freed by the owner first, every one is refused (0 as a double
// free), none dropped.
const largeBlock = (
  name: string,
  remote: number[],
  ownerFirst: boolean,
  collect: Case["collect"],
): Case => ({
  name,
  run: ({ a, b, ptr }) => {
    ptr.q = a.alloc(100_000);
    assert.equal(ptr.q, Q);
    for (const offset of remote) b.free(Q + offset, 100_000);
    assert.equal(a.waitingFrees, remote.length);
    if (!ownerFirst) return;
    a.free(Q, 100_000);
    assert.equal(a.waitingFrees, 0, "the pages went back: no bit is left");
  },
  collect,
  refused: remote.filter((offset) => ownerFirst || offset !== 0).map((
    offset,
  ) => [() => Q + offset, ...refusal(Q + offset, offset, ownerFirst)]),
  used: 0,
  next: [100_000, () => Q],
});

// The reason and message (after the prefix) of a refused free at `ptr`,
// `offset` bytes into the large block.
function refusal(
  ptr: number,
  offset: number,
  ownerFirst: boolean,
): [PointerErrorReason, RegExp] {
  if (!ownerFirst) {
    return [
      "foreign",
      new RegExp(
        `^Pointer 0x${
          ptr.toString(16)
        } \\(${ptr}\\) is not an allocation of this heap`,
      ),
    ];
  }
  return offset === 0
    ? [
      "double-free",
      /^this heap freed that block itself before collecting the free \(a double free\)$/,
    ]
    : [
      "foreign",
      /^it is inside memory this heap freed itself before collecting the free \(its pages went back to the shared source\), so it is no allocation of this heap$/,
    ];
}

const cases: Case[] = [
  largeBlock(
    "a free inside a large block that the owner frees itself before collecting",
    [4096],
    true,
    "collect()",
  ),
  largeBlock(
    "a free inside a large block the owner freed first, collected by its next alloc",
    [8192],
    true,
    "alloc",
  ),
  largeBlock(
    "a large block freed remotely and by the owner, and two frees inside it",
    [0, 4096, 20 * 4096],
    true,
    "collect()",
  ),
  largeBlock(
    "a large block freed, and a free inside it in the same batch",
    [0, 4096],
    false,
    "collect()",
  ),
  largeBlock(
    "the same, collected by the owner's next alloc (which throws nothing)",
    [0, 8192],
    false,
    "alloc",
  ),
  largeBlock(
    "two frees inside a large block freed in the same batch",
    [0, 4096, 20 * 4096],
    false,
    "collect()",
  ),
  {
    name: "a small block freed, and a free inside a live large block",
    run: ({ a, b, ptr }) => {
      ptr.s = a.alloc(24);
      ptr.q = a.alloc(100_000);
      b.free(ptr.s, 24);
      b.free(ptr.q + 4096, 100_000);
    },
    collect: "collect()",
    refused: [[
      ({ ptr }) => ptr.q + 4096,
      "interior",
      /is inside the large block at 0x\w+ \(\d+\) but not its start/,
    ]],
    used: 100_000,
    next: [24, ({ ptr }) => ptr.s],
  },
];

for (const c of cases) {
  Deno.test(`WorkerHeap remote errors: ${c.name}`, () => {
    using pages = new SharedPages({ reserve: 2 ** 24 });
    using b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
    b.alloc(64); // b's segment first, so that a's addresses are b's + one
    using a = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
    const env: Env = { a, b, ptr: {} };
    c.run(env);
    const expected = c.refused.map(([ptr, reason]) => ({
      ptr: ptr(env),
      reason,
    }));
    let next: number;
    if (c.collect === "collect()") {
      assert.throws(() => a.collect(), (e: unknown) => {
        assert.ok(e instanceof PointerError, `${e}`);
        assert.deepEqual({ ptr: e.ptr, reason: e.reason }, expected[0]);
        return true;
      });
      next = a.alloc(c.next[0]);
    } else {
      next = a.alloc(c.next[0]); // collects first, keeps the refusals
    }
    const kept = a.remoteErrors;
    assert.deepEqual(
      kept.map((e) => ({ ptr: e.ptr, reason: e.reason })),
      expected,
    );
    c.refused.forEach(([ptr, , message], i) => {
      const prefix = `A free of 0x${ptr(env).toString(16)} (${
        ptr(env)
      }) by another worker was refused: `;
      assert.ok(kept[i].message.startsWith(prefix), kept[i].message);
      assert.match(kept[i].message.slice(prefix.length), message);
    });
    assert.equal(next, c.next[1](env), "the next allocation");
    a.free(next, c.next[0]);
    assert.equal(a.bytesUsed, c.used);
    assert.equal(a.waitingFrees, 0);
    a.validate();
  });
}

// `a`'s 150 blocks of 64 bytes, each freed remotely by `b` at an interior
// pointer (16 bytes in): every free is refused when `a` collects.
function refusedInterior(): {
  pages: SharedPages;
  a: WorkerHeap;
  b: WorkerHeap;
  blocks: number[];
} {
  const pages = new SharedPages({ reserve: 2 ** 24 });
  const b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  b.alloc(64);
  const a = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const blocks = Array.from({ length: 150 }, () => a.alloc(64));
  assert.equal(a.bytesUsed, 150 * 64);
  for (const p of blocks) b.free(p + 16, 64);
  assert.equal(a.waitingFrees, 150);
  return { pages, a, b, blocks };
}

// The message of the refused remote free at `ptr`, 16 bytes into the
// 64-byte chunk at `block` of the span at `span`.
function interiorMessage(ptr: number, span: number): string {
  const hex = (n: number) => `0x${n.toString(16)} (${n})`;
  return `A free of ${hex(ptr)} by another worker was refused: Pointer ${
    hex(ptr)
  } is inside the span of 64-byte chunks at ${
    hex(span)
  } but not at the start of a chunk (an interior pointer)`;
}

Deno.test("WorkerHeap remote errors: 150 refusals keep the first 100 and count all", () => {
  const { pages, a, b, blocks } = refusedInterior();
  using _pages = pages;
  using _b = b;
  using _a = a;
  assert.throws(() => a.collect(), (e: unknown) => {
    assert.ok(e instanceof PointerError, `${e}`);
    assert.deepEqual([e.ptr, e.reason], [blocks[0] + 16, "interior"]);
    return true;
  });
  assert.equal(a.remoteErrors.length, 100);
  assert.equal(a.refusedRemoteFrees, 150);
  const span = blocks[0] - (blocks[0] % 4096);
  assert.deepEqual(
    [a.remoteErrors[0].ptr, a.remoteErrors[0].reason],
    [blocks[0] + 16, "interior"],
  );
  assert.equal(
    a.remoteErrors[0].message,
    interiorMessage(blocks[0] + 16, span),
  );
  assert.deepEqual(
    a.remoteErrors.map((e) => e.ptr),
    blocks.slice(0, 100).map((p) => p + 16),
    "the first 100, oldest first",
  );
  assert.equal(a.bytesUsed, 150 * 64, "nothing was freed");
  assert.equal(a.waitingFrees, 0);
  for (const p of blocks) a.free(p, 64);
  assert.equal(a.bytesUsed, 0);
  a.validate();
});

Deno.test("WorkerHeap remote errors: collect() throws its own first refusal once 100 are kept", () => {
  const { pages, a, b, blocks } = refusedInterior();
  using _pages = pages;
  using _b = b;
  using _a = a;
  assert.throws(() => a.collect(), PointerError);
  assert.equal(a.remoteErrors.length, 100);
  const kept = [...a.remoteErrors];
  // A refused free in a batch with one that succeeds: the refused one is
  // thrown, the other taken back.
  b.free(blocks[5] + 32, 64);
  b.free(blocks[7], 64);
  assert.throws(() => a.collect(), (e: unknown) => {
    assert.ok(e instanceof PointerError, `${e}`);
    assert.deepEqual([e.ptr, e.reason], [blocks[5] + 32, "interior"]);
    return true;
  });
  assert.equal(a.refusedRemoteFrees, 151);
  assert.equal(a.bytesUsed, 149 * 64);
  // Collected by an alloc: counted, not thrown, and not thrown by the
  // next collect() either.
  b.free(blocks[9] + 16, 64);
  const p = a.alloc(64);
  assert.equal(p, blocks[7], "the block freed remotely is reused");
  assert.equal(a.refusedRemoteFrees, 152);
  assert.equal(a.collect(), 0);
  // A free inside a large block the owner freed itself before collecting
  // (refused from the pages it gave back).
  const q = a.alloc(100_000);
  b.free(q + 4096, 100_000);
  a.free(q, 100_000);
  assert.throws(() => a.collect(), (e: unknown) => {
    assert.ok(e instanceof PointerError, `${e}`);
    assert.deepEqual([e.ptr, e.reason], [q + 4096, "foreign"]);
    return true;
  });
  assert.equal(a.refusedRemoteFrees, 153);
  assert.deepEqual(a.remoteErrors, kept, "the kept 100 are unchanged");
  assert.equal(a.bytesUsed, 150 * 64);
  for (const p of blocks) a.free(p, 64);
  assert.equal(a.bytesUsed, 0);
  assert.equal(a.waitingFrees, 0);
  a.validate();
});

Deno.test("WorkerHeap remote errors: remoteErrors is a frozen copy the caller cannot change", () => {
  const { pages, a, b, blocks } = refusedInterior();
  using _pages = pages;
  using _b = b;
  using _a = a;
  assert.equal(a.remoteErrors.length, 0);
  assert.throws(() => a.collect(), PointerError);
  const kept = a.remoteErrors;
  assert.ok(Object.isFrozen(kept));
  assert.equal(a.remoteErrors, kept, "the same copy until the next refusal");
  const writable = kept as PointerError[];
  assert.throws(() => writable.push(kept[0]), TypeError);
  assert.throws(() => writable.length = 0, TypeError);
  assert.throws(() => writable.splice(0, 1), TypeError);
  assert.equal(a.remoteErrors.length, 100);
  assert.equal(a.remoteErrors[0].ptr, blocks[0] + 16);
  for (const p of blocks) a.free(p, 64);
  assert.equal(a.bytesUsed, 0);
});
