// SharedPages and WorkerHeap calls that must change nothing: a discard of
// pointer 0, a refused call while remote frees wait (it must not collect
// them), a resize of the owner's own block while they wait (it collects
// first, so a double free is caught), an attach of buffers from two sources,
// and options that are not an object.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { BufferPages, OsPages, SharedPages, WasmPages } from "../os/mod.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";

Deno.test("SharedPages: discard(0, size) does nothing, even after destroy", () => {
  const pages = new SharedPages({ reserve: 2 ** 22 });
  const a = new WorkerHeap({ pages });
  const p = a.alloc(24), big = a.alloc(100000);
  const state = () => [pages.ownerOf(p), pages.ownerOf(big), pages.liveBytes];
  const before = state();
  assert.deepEqual(before, [1, 1, 172032]);
  pages.discard(0, 2 ** 22);
  assert.deepEqual(state(), before);
  a.free(p, 24);
  a.free(big, 100000);
  assert.equal(a.bytesUsed, 0);
  a.destroy();
  pages.destroy();
  pages.discard(0, 4096); // pointer 0 is never an error
});

Deno.test("WorkerHeap: a refused call collects no waiting remote frees", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  using a = new WorkerHeap({ pages });
  using b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const cases: [() => unknown, ErrorConstructor, RegExp][] = [
    [
      () => a.alloc(-1),
      RangeError,
      /^Size must be a non-negative integer, got -1$/,
    ],
    [
      () => a.alloc("8" as unknown as number),
      TypeError,
      /^Size must be a number, got string$/,
    ],
    [
      () => a.alloc(2 ** 40),
      RangeError,
      /^Size 1099511627776 exceeds the largest allocation this page source can hold of 4186112 bytes/,
    ],
    [
      () => a.allocUnsafe(1.5),
      RangeError,
      /^Size must be a non-negative integer, got 1.5$/,
    ],
    [
      () => a.resize(0, 0, NaN),
      RangeError,
      /^New size must be a non-negative integer, got NaN$/,
    ],
    [
      () => a.alloc(8, 3),
      RangeError,
      /^Alignment must be a power of two from 1 to 65536, got 3/,
    ],
  ];
  for (const [call, error, message] of cases) {
    const p = a.alloc(24);
    b.free(p, 24);
    const watched = { state: () => [a.bytesUsed, a.waitingFrees] };
    assert.deepEqual(watched.state(), [32, 1]);
    assertRefusedUnchanged(watched, call, { error, message });
    assert.equal(a.collect(), 1);
    assert.equal(a.bytesUsed, 0);
  }
});

Deno.test("WorkerHeap: a resize collects first, so a double free is caught", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  using a = new WorkerHeap({ pages });
  using b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const p = a.alloc(24);
  let x = a.alloc(40);
  b.free(p, 24); // a remote free
  a.free(p, 24); // and the owner's own: a double free
  x = a.resize(x, 40, 24);
  assert.deepEqual(a.remoteErrors.map((e) => e.reason), ["double-free"]);
  assert.equal(a.bytesUsed, 32, "x is live");
  assert.notEqual(a.alloc(24), x, "the live block is not handed out again");
});

Deno.test("SharedPages.attach refuses buffers of two different sources", () => {
  using big = new SharedPages({ reserve: 2 ** 22 });
  using small = new SharedPages({ reserve: 2 ** 16 });
  const mismatch = (pages: number, runs: number, state: number, got: string) =>
    new RegExp(
      `^RangeError: Handle buffers do not belong together: memory of ${pages} pages needs runs of ${runs} bytes and state of ${state} bytes, got ${got}: pass one SharedPages's handle whole`,
    );
  assert.throws(
    () =>
      SharedPages.attach({
        memory: big.handle.memory,
        runs: small.handle.runs,
        state: small.handle.state,
      }),
    mismatch(1024, 34984, 45456, "1720 and 9044"),
  );
  assert.throws(
    () =>
      SharedPages.attach({
        memory: small.handle.memory,
        runs: big.handle.runs,
        state: big.handle.state,
      }),
    mismatch(16, 1720, 9044, "34984 and 45456"),
  );
  assert.equal(big.liveBytes, 0);
});

Deno.test("page sources refuse options that are not an object", () => {
  for (
    const [name, make] of [
      ["SharedPages", (o: unknown) => new SharedPages(o as never)],
      ["BufferPages", (o: unknown) => new BufferPages(o as never)],
      ["OsPages", (o: unknown) => new OsPages(o as never)],
      ["WasmPages", (o: unknown) => new WasmPages(o as never)],
    ] as const
  ) {
    for (const [value, kind] of [[null, "null"], [5, "number"]] as const) {
      assert.throws(
        () => make(value),
        new RegExp(
          `^TypeError: ${name} options must be an object, such as \\{ (reserve|memory) \\}, got ${kind}$`,
        ),
      );
    }
  }
});

Deno.test("WorkerHeap: a remote free may leave the size out, as an own free may", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  using a = new WorkerHeap({ pages });
  using b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const small = a.alloc(24), big = a.alloc(100000), own = b.alloc(24);
  assert.deepEqual([a.bytesUsed, b.bytesUsed], [100032, 32]);
  b.free(small); // a's, from b
  b.free(big);
  b.free(own); // b's own
  assert.equal(b.bytesUsed, 0);
  assert.equal(a.bytesUsed, 100032); // not collected yet
  assert.equal(a.collect(), 2);
  assert.equal(a.bytesUsed, 0);
  assert.deepEqual(a.remoteErrors, []);
  // Left out or not, a second remote free before the owner collects is refused.
  const again = a.alloc(24);
  b.free(again);
  assert.throws(
    () => b.free(again),
    /was freed already by a worker: double free/,
  );
  assert.equal(a.collect(), 1);
});

Deno.test("SharedPages: another instance refuses to free, resize, extend or discard a WorkerHeap's run, nothing changed", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  const b = SharedPages.attach(pages.handle);
  using heap = new WorkerHeap({ pages: b });
  const big = heap.alloc(200000); // a large block: a run of b's, 49 pages
  assert.equal(big, 8192);
  const refusal = {
    name: "PointerError",
    reason: "foreign",
    ptr: big,
    message:
      `Pointer 0x2000 (8192) is in a run of SharedPages instance ${b.id}, which has a WorkerHeap: free it through that heap (another worker's WorkerHeap frees it remotely), not through instance ${pages.id}`,
  };
  const state = () => [
    pages.liveBytes,
    pages.retainedBytes,
    pages.ownerOf(big),
    pages.runSize(big),
    heap.bytesUsed,
    heap.usableSize(big),
  ];
  const before = state();
  assert.deepEqual(before, [204800, 0, b.id, 200704, 200000, 200704]);
  const calls: [string, () => unknown][] = [
    ["free", () => pages.free(big, 200704)],
    ["discard", () => pages.discard(big, 200704)],
    ["resize", () => pages.resize(big, 200704, 300000)],
    ["resize to 0", () => pages.resize(big, 200704, 0)],
    ["shrinking resize", () => pages.resize(big, 200704, 4096)],
    ["extend", () => pages.extend(big, 200704, 204800)],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, refusal, name);
    assert.deepEqual(state(), before, `${name} changed the state`);
  }
  assert.notEqual(pages.alloc(200704), big); // not handed out again
  heap.validate();
  heap.free(big, 200000); // its heap frees it
  assert.equal(heap.bytesUsed, 0);
  // A run of an instance without a heap stays freeable from any instance.
  const plain = SharedPages.attach(pages.handle);
  const run = plain.alloc(8192);
  pages.free(run, 8192);
  assert.equal(pages.ownerOf(run), 0);
  plain.close();
});
