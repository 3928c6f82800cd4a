// Fixes to the page sources found by a hunt: a moved (transferred) buffer,
// stale free stamps, resize after allocDirty, oversized reservations, option
// checks, two WasmPages on one memory, a bad clock and Memory's own checks.
import assert from "node:assert/strict";
import {
  BufferPages,
  defaultPages,
  DestroyedError,
  MAX_RESERVE,
  Memory,
  OsPages,
  OutOfMemoryError,
  type PageSource,
  SharedPages,
  WasmPages,
} from "../os/mod.ts";
import { Heap } from "../heap/mod.ts";
import { Arena } from "../arena/mod.ts";
import { Pool } from "../pool/mod.ts";

const P = 4096;
const script = new URL("./_page_source_child.ts", import.meta.url).pathname;

// Runs one case of _page_source_child.ts in a child Deno with `flags`, and
// returns its exit code and output.
async function child(
  name: string,
  flags: string[] = ["--allow-ffi"],
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, script, name],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code, out: text(stdout), err: text(stderr) };
}

const MOVED =
  "Page source's memory was detached: its buffer was transferred (by a BYOB stream read into its bytes, buffer.transfer() or a postMessage transfer list), which moves all of it out of the page source: destroy() it and make a new one, and read into a copy of the bytes instead";

// ── a moved buffer ──────────────────────────────────────────────────────────

Deno.test("an OsPages buffer moved out and then collected does not crash the process", async () => {
  const { code, out, err } = await child("moved", [
    "--allow-ffi",
    "--v8-flags=--expose-gc",
  ]);
  assert.equal(err, "");
  assert.equal(code, 0);
  // Collected: the memory went back to the OS (it reads as zero), the range
  // stayed mapped.
  assert.equal(out, "42\n0 7");
});

Deno.test("OsPages never destroyed: a collected one's range is unmapped when a new one does not fit, unless its buffer was seen moved", async () => {
  // 64 GiB of address space (ulimit -v) holds ~12 reservations of 4 GiB
  // besides Deno's own: the child makes 64 and drops each (kept mapped,
  // every one failed from the 13th on), and writes through a buffer moved
  // out of a source it saw moved (never unmapped).
  const { code, stdout, stderr } = await new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -v ${
        64 * 2 ** 20
      } && exec "$0" run --allow-ffi --allow-read --v8-flags=--expose-gc "$1" neverDestroyed`,
      Deno.execPath(),
      script,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  assert.equal(text(stderr), "");
  assert.equal(code, 0);
  assert.equal(text(stdout), "DestroyedError\n64 0 9");
});

Deno.test("a page source whose buffer was moved says so, and destroy() works", () => {
  for (
    const make of [
      () => new BufferPages({ reserve: 2 ** 20 }),
      () => new OsPages({ reserve: 2 ** 20 }),
    ]
  ) {
    const pages: PageSource = make();
    const p = pages.alloc(P);
    pages.memory.u8[p] = 42;
    const moved = new Uint8Array(pages.memory.buffer.transfer());
    assert.throws(() => pages.alloc(P), new DestroyedError(MOVED));
    assert.throws(() => pages.free(p, P), new DestroyedError(MOVED));
    assert.throws(
      () => pages.memory.bytes(p, 1),
      new DestroyedError(
        "Memory's buffer was detached: it was transferred (by a BYOB stream read into its bytes, buffer.transfer() or a postMessage transfer list), or it is a WebAssembly memory's that was grown: make a new page source",
      ),
    );
    pages.destroy(); // used to throw a bare TypeError from transfer()
    assert.equal(pages.destroyed, true);
    assert.equal(pages.liveBytes, 0);
    assert.throws(
      () => pages.alloc(P),
      new DestroyedError(
        "Page source was used after destroy(): make a new one",
      ),
    );
    assert.equal(moved[p], pages.kind === "os" ? 0 : 42); // OsPages gave it back
  }
});

Deno.test("a BYOB read into page memory is reported as a moved buffer", async () => {
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const p = pages.alloc(P);
  const stream = new ReadableStream({
    type: "bytes",
    pull(c) {
      c.byobRequest!.view!.set?.([1, 2, 3]);
      c.byobRequest!.respond(3);
    },
  });
  const reader = stream.getReader({ mode: "byob" });
  const { value } = await reader.read(pages.memory.bytes(p, 16));
  reader.releaseLock();
  assert.deepEqual([...value!.subarray(0, 3)], [1, 2, 3]);
  assert.throws(() => pages.alloc(1), new DestroyedError(MOVED));
});

Deno.test("a heap whose page source's buffer was moved says so", () => {
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const heap = new Heap({ pages });
  const p = heap.alloc(64);
  pages.memory.buffer.transfer();
  const moved = new DestroyedError(
    "Heap's memory was detached: its buffer was transferred (by a BYOB stream read into its bytes, buffer.transfer() or a postMessage transfer list), which moves all of it out of the page source: make a new page source and heap, and read into a copy of the bytes instead",
  );
  assert.throws(() => heap.alloc(64), moved);
  assert.throws(() => heap.free(p, 64), moved);
  heap.destroy();
});

// ── freed pages are stamped with the time of the free ───────────────────────

// An OsPages made at time 0 of a fake clock, which `at` sets.
function fakeClockPages(): { pages: OsPages; at(time: number): void } {
  let now = 0;
  const pages = new OsPages({
    reserve: 2 ** 20,
    decayMs: 1000,
    clock: () => now,
  });
  return { pages, at: (time) => void (now = time) };
}

Deno.test("a run freed after an idle spell is stamped with the time of its free", () => {
  const { pages, at } = fakeClockPages();
  using _ = pages;
  at(5000);
  pages.free(pages.alloc(8192), 8192);
  at(5001);
  assert.equal(pages.decay(), 0);
  assert.equal(pages.retainedBytes, 8192);
  at(6000);
  assert.equal(pages.decay(), 8192);
});

Deno.test("the tail given back by a shrinking resize is stamped with the time of the resize", () => {
  const { pages, at } = fakeClockPages();
  using _ = pages;
  const p = pages.alloc(3 * P);
  at(5000);
  pages.resize(p, 3 * P, P);
  at(5001);
  assert.equal(pages.decay(), 0);
  assert.equal(pages.retainedBytes, 2 * P);
});

Deno.test("while runs are kept, the timer comes every quarter of the decay time at least", () => {
  // It renews the reading that frees stamp runs with (the default clock is
  // read by a free only when no timer is armed): armed at most decayMs / 4
  // ahead (the old timer waited for the oldest run's whole decay time).
  const delays: number[] = [];
  const setTimer = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    delays.push(ms);
    return setTimer(fn, ms);
  }) as typeof setTimeout;
  try {
    using pages = new OsPages({ reserve: 2 ** 20, decayMs: 1000 });
    pages.free(pages.alloc(2 * P), 2 * P);
    assert.equal(delays.length, 1);
    assert.ok(delays[0] <= 251, `armed ${delays[0]} ms ahead`);
  } finally {
    globalThis.setTimeout = setTimer;
  }
});

Deno.test("a clock of the caller's is read at every free, timer or not", () => {
  const { pages, at } = fakeClockPages();
  using _ = pages;
  const a = pages.alloc(2 * P), _between = pages.alloc(P);
  const b = pages.alloc(2 * P);
  pages.free(a, 2 * P); // stamped 0, the timer armed
  at(5000); // a fake clock moved by hand (or a long synchronous stretch)
  pages.free(b, 2 * P); // stamped 5000
  at(5001);
  assert.equal(pages.decay(), 2 * P); // a's run alone
  assert.equal(pages.retainedBytes, 2 * P);
});

// ── resize after allocDirty ─────────────────────────────────────────────────

for (
  const make of [
    () => new BufferPages({ reserve: 2 ** 20 }),
    () => new SharedPages({ reserve: 2 ** 20 }),
  ]
) {
  const name = make().kind;
  Deno.test(`${name}: resize zeroes past the new size after allocDirty`, () => {
    using pages = make();
    const a = pages.alloc(16 * P);
    pages.memory.fill(a, 16 * P, 0xee);
    pages.free(a, 16 * P);
    const b = pages.allocDirty(4097);
    assert.equal(pages.dirtyBytes, 2 * P);
    pages.memory.fill(b, 4097, 1);
    assert.equal(pages.resize(b, 4097, 4500), b); // same pages
    assert.equal(pages.memory.u8[b + 4200], 0);
    assert.equal(pages.memory.u8[b + 5000], 0);
    assert.equal(pages.memory.u8[b + 4096], 1);
    assert.equal(pages.resize(b, 4500, 3 * P), b); // grown in place
    assert.equal(pages.memory.u8[b + 5000], 0);
    assert.equal(pages.memory.u8[b + 2 * P + 5], 0);
    assert.equal(pages.memory.u8[b + 4096], 1);
  });
}

// ── oversized reservations ──────────────────────────────────────────────────

Deno.test("a reservation no ArrayBuffer can hold is an OutOfMemoryError", () => {
  for (
    const [make, what] of [
      [() => new BufferPages({ reserve: MAX_RESERVE }), "an ArrayBuffer"],
      [
        () => new SharedPages({ reserve: MAX_RESERVE }),
        "a SharedArrayBuffer",
      ],
    ] as const
  ) {
    assert.throws(make, (e: Error) => {
      assert.ok(e instanceof OutOfMemoryError, e.name);
      assert.equal(
        e.message,
        `Could not allocate ${what} of ${MAX_RESERVE} bytes for the reservation: reserve less`,
      );
      assert.equal(e.requested, MAX_RESERVE);
      return true;
    });
  }
});

Deno.test("SharedPages without SharedArrayBuffer says to isolate the page", async () => {
  const { code, out } = await child("noSharedArrayBuffer");
  assert.equal(code, 0);
  // The constructor, and attach.
  const line =
    "TypeError: SharedPages needs SharedArrayBuffer, which this runtime does not have: a browser page must be cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), or use BufferPages";
  assert.equal(out, `${line}\n${line}`);
});

// ── defaultPages ────────────────────────────────────────────────────────────

Deno.test("defaultPages checks its options", () => {
  const cases: [unknown, string][] = [
    [
      null,
      "defaultPages options must be an object, such as { reserve, fallback }, got null",
    ],
    [
      "x",
      "defaultPages options must be an object, such as { reserve, fallback }, got string",
    ],
    [
      { fallbak: false },
      'defaultPages has no option "fallbak": its options are reserve, decayMs, retain, clock, fallback',
    ],
    [
      { fallback: "no" },
      "defaultPages option fallback must be a boolean, got string",
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => defaultPages(options as never),
      new TypeError(message),
    );
  }
});

Deno.test("defaultPages on another OS says native memory is Linux-only here", async () => {
  const { code, out, err } = await child("otherOs");
  assert.equal(code, 0);
  assert.equal(out, "buffer");
  assert.equal(
    err,
    "@sp/mem: native memory (OsPages) is Linux-only, and this is darwin, so memory comes from a plain ArrayBuffer (BufferPages), which C cannot use: pass { fallback: false } to make this an error",
  );
});

Deno.test("a path-scoped --allow-ffi is named as the problem", async () => {
  // The working directory, libc's name in it, a library folder, libc itself.
  for (
    const scope of [".", "libc.so.6", "/usr/lib", "/usr/lib/x86_64-linux-gnu"]
  ) {
    const { code, out, err } = await child("scoped", [`--allow-ffi=${scope}`]);
    assert.equal(code, 0);
    assert.match(
      out,
      /^FfiUnavailableError: OsPages needs (unscoped FFI permission to open libc: run deno with --allow-ffi with no path \(a path-scoped --allow-ffi=DIR does not cover libc\)|FFI permission to call libc mmap: run deno with --allow-ffi \(unscoped\)), or use BufferPages\nbuffer$/,
      scope,
    );
    assert.equal(
      err,
      "@sp/mem: no unscoped FFI permission, so memory comes from a plain ArrayBuffer (BufferPages), which C cannot use: run deno with --allow-ffi (with no path) for native memory, or pass { fallback: false } to make this an error",
      scope,
    );
  }
});

// ── two WasmPages on one memory ─────────────────────────────────────────────

Deno.test("a second WasmPages on a memory with a live one is refused", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4096 });
  const a = new WasmPages({ memory, reserve: 2 ** 20 });
  const p = a.alloc(100);
  assert.throws(
    () => new WasmPages({ memory }),
    new TypeError(
      "This WebAssembly.Memory already has a live WasmPages: a second one would grow it, which detaches the first one's views: destroy() the first, or give the second a memory of its own (or a range the memory already has)",
    ),
  );
  a.free(p, 100); // the first still works
  a.destroy();
  using b = new WasmPages({ memory });
  assert.equal(b.alloc(1), b.base);
  // Growing a shared memory detaches nothing: a second one is fine there.
  const shared = new WebAssembly.Memory({
    initial: 1,
    maximum: 4096,
    shared: true,
  });
  using c = new WasmPages({ memory: shared, reserve: 2 ** 20 });
  using d = new WasmPages({ memory: shared });
  assert.equal(d.base, 2 ** 20);
  assert.equal(c.alloc(1), 65536);
  // One the module's growth left dead (its views detached) is in no way.
  const grown = new WebAssembly.Memory({ initial: 1, maximum: 64 });
  const dead = new WasmPages({ memory: grown, reserve: 2 ** 18 });
  grown.grow(1);
  assert.throws(() => dead.alloc(1), DestroyedError);
  using again = new WasmPages({ memory: grown, base: 65536, reserve: 2 ** 18 });
  assert.equal(again.alloc(1), 65536);
  // A memory large enough already: two ranges that do not meet are fine
  // (nothing grows), two that do are refused.
  const fixed = new WebAssembly.Memory({ initial: 64, maximum: 64 });
  using e = new WasmPages({ memory: fixed, base: 65536, reserve: 2 ** 21 });
  using f = new WasmPages({ memory: fixed, base: 2 ** 21, reserve: 2 ** 22 });
  assert.deepEqual([e.alloc(1), f.alloc(1)], [65536, 2 ** 21]);
  assert.throws(
    () => new WasmPages({ memory: fixed, base: 2 ** 20, reserve: 2 ** 22 }),
    new TypeError(
      "This WebAssembly.Memory already has a live WasmPages on [65536, 2097152), which [1048576, 4194304) overlaps: give the second a base past the first's reservation, or destroy() the first",
    ),
  );
});

// ── the clock ───────────────────────────────────────────────────────────────

Deno.test("a clock that returns no number is refused when the source is made", () => {
  for (
    const make of [
      (clock: () => number) => new OsPages({ reserve: 2 ** 20, clock }),
      (clock: () => number) => new BufferPages({ reserve: 2 ** 20, clock }),
    ]
  ) {
    for (
      const [value, what] of [["5", "string"], [NaN, "NaN"], [
        Infinity,
        "Infinity",
      ]] as const
    ) {
      assert.throws(
        () => make(() => value as unknown as number),
        new TypeError(
          `Clock must return a finite number of milliseconds, got ${what}`,
        ),
      );
    }
  }
});

Deno.test("a caller's clock that goes bad later counts as no time passed: nothing is given back early, no call throws half done", async () => {
  // Page sources: a free, a move and a shrink with the clock at NaN, then
  // throwing. Each goes ahead whole, stamped with the last good reading.
  let now: unknown = 0;
  const clock = () => {
    if (now === "throw") throw new Error("clock broke");
    return now as number;
  };
  using pages = new BufferPages({ reserve: 2 ** 20, decayMs: 1000, clock });
  const a = pages.alloc(P), _b = pages.alloc(P), c = pages.alloc(3 * P);
  pages.memory.u8[c + 4000] = 7;
  now = NaN;
  pages.free(a, P);
  const moved = pages.resize(_b, P, 3 * P); // past c: it moves
  now = "throw";
  pages.resize(c, 3 * P, 5000);
  assert.equal(pages.memory.u8[c + 4000], 7);
  assert.equal(pages.liveBytes, 3 * P + 2 * P);
  now = 999;
  assert.equal(pages.decay(), 0); // all stamped 0: not due yet
  now = 1001;
  assert.equal(pages.decay(), 3 * P); // a's page, b's old page, c's tail
  pages.free(moved, 3 * P);
  // A Pool: its timer and its frees.
  now = 0;
  const pool = new Pool({ blockSize: 1024, decayMs: 50, clock, parent: pages });
  const blocks = Array.from({ length: 8 }, () => pool.alloc());
  const extra = pool.alloc(); // a second slab, so that the first can empty
  now = NaN;
  for (const p of blocks) pool.free(p);
  now = "throw";
  await new Promise((r) => setTimeout(r, 120)); // the timer ran: no crash
  assert.equal(pool.blocks, 1);
  pool.free(extra);
  pool.destroy();
});

Deno.test("a child on a heap whose buffer was moved out says so", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  using heap = new Heap({ pages });
  const arena = new Arena({ parent: heap });
  pages.memory.buffer.transfer();
  assert.throws(
    () => arena.alloc(8),
    new DestroyedError(
      "Arena was used after its memory's buffer was detached under its page source (transferred by a BYOB stream read, buffer.transfer() or a postMessage, or a WebAssembly memory grown by its module): its blocks are gone; make a new arena on a live parent",
    ),
  );
});

Deno.test("a clock that throws leaves no mapping behind", async () => {
  // Reading /proc/self needs every permission.
  const { code, out } = await child("throwingClock", ["--allow-all"]);
  assert.equal(code, 0);
  assert.equal(out, "true");
});

// ── Memory's own checks ─────────────────────────────────────────────────────

Deno.test("Memory takes null options, and a destroyed one says so before a bad view type", () => {
  assert.equal(new Memory(new ArrayBuffer(8192), null as never).address, null);
  const pages = new BufferPages({ reserve: 2 ** 20 });
  pages.destroy();
  assert.throws(
    () => pages.memory.view(DataView as never, 4096, 8),
    DestroyedError,
  );
});

Deno.test("Memory refuses what is not a buffer or an address", () => {
  assert.throws(
    () => new Memory({} as ArrayBuffer),
    new TypeError(
      "Memory needs an ArrayBuffer or SharedArrayBuffer, got object",
    ),
  );
  assert.throws(
    () => new Memory(new ArrayBuffer(8192), { address: 5 as never }),
    new TypeError("Native address must be a bigint, got number"),
  );
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const p = pages.alloc(64);
  assert.throws(
    () => pages.memory.view(DataView as never, p, 8),
    new TypeError(
      "view() takes a typed-array constructor such as Float64Array, got DataView: for a DataView, use new DataView(memory.buffer, ptr, length)",
    ),
  );
  for (
    const other of [
      new SharedPages({ reserve: 2 ** 20 }),
      new WasmPages({ reserve: 2 ** 20 }),
      pages,
    ]
  ) {
    assert.throws(
      () => other.memory.pointer(4096),
      new TypeError(
        "This memory has no native address (it is JavaScript memory, as BufferPages, WasmPages and SharedPages give): only OsPages memory has pointers for FFI (it needs --allow-ffi; without it new Heap() and defaultPages() fall back to BufferPages)",
      ),
    );
    if (other !== pages) other.destroy();
  }
});

// ── after destroy, and attach's options ─────────────────────────────────────

Deno.test("after destroy() a bad alignment is a DestroyedError on every source", () => {
  for (
    const pages of [
      new BufferPages({ reserve: 2 ** 20 }),
      new WasmPages({ reserve: 2 ** 20 }),
      new SharedPages({ reserve: 2 ** 20 }),
    ]
  ) {
    const p = pages.alloc(1);
    pages.destroy();
    assert.throws(() => pages.alloc(1, 3), DestroyedError);
    assert.throws(() => pages.allocDirty(1, 3), DestroyedError);
    assert.throws(() => pages.resize(p, 1, 2, 3), DestroyedError);
  }
});

Deno.test("SharedPages.attach refuses a reserve (the handle sets it)", () => {
  using pages = new SharedPages({ reserve: 2 ** 20 });
  assert.throws(
    () => SharedPages.attach(pages.handle, { reserve: 2 ** 30 } as never),
    new TypeError(
      'SharedPages.attach has no option "reserve": its options are decayMs, retain, clock',
    ),
  );
});
