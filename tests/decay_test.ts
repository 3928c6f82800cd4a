// Giving memory back: page sources keep freed pages for reuse while they are
// recently freed and give them back once idle longer than `decayMs` (by a
// fake clock here, so nothing sleeps), within a byte cap, on purge(); the
// heap gives back segments whose spans are all empty.
import assert from "node:assert/strict";
import {
  BufferPages,
  DestroyedError,
  OsPages,
  type PageSource,
  SharedPages,
  WasmPages,
} from "../os/mod.ts";
import { Heap, WorkerHeap } from "../heap/mod.ts";
import { Pool } from "../pool/mod.ts";
import { isZero } from "./_bytes.ts";
import {
  type Case as RunCase,
  type Env as RunEnv,
  type Kind,
  type Op as RunOp,
  runCase,
} from "./_run_ops.ts";
import { pagesSubject } from "./_subjects.ts";
import type { SourceMaker } from "./_sources.ts";

const P = 4096;

/** A clock that moves only when told. */
interface FakeClock {
  now: () => number;
  advance: (ms: number) => void;
}

function fakeClock(): FakeClock {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

type X = { pages: PageSource };
type Env = RunEnv<X>;

/** The decay operations, beside the executor's alloc, free and fill. */
const decayOps = (clock: FakeClock) => ({
  advance: (_: Env, ms: number) => clock.advance(ms),
  /**
   * One page that nothing reads or writes (the executor's alloc reads its
   * bytes, which would make them resident): it keeps runs apart.
   */
  guard: (env: Env, name: string) => {
    env.ptr[name] = env.pages.alloc(P);
    env.size[name] = P;
  },
  /** decay(), and the bytes it must return. */
  decay: (env: Env, returns: number) =>
    assert.equal(env.pages.decay(), returns, "decay() returned"),
  purge: (env: Env) => env.pages.purge(),
  /** alloc+free pairs of a size. */
  pairs: (env: Env, count: number, size: number) => {
    for (let i = 0; i < count; i++) {
      env.pages.free(env.pages.alloc(size), size);
    }
  },
});
type DecayOps = ReturnType<typeof decayOps>;

interface Expect {
  /** Counters of the page source subject. */
  retained?: number;
  committed?: number;
  live?: number;
  purged?: number;
  /** OsPages only: the range's resident bytes (mincore). */
  resident?: number;
}

const decayChecks: Kind<X, DecayOps, Expect>["checks"] = {
  purged: (env, want) => assert.equal(env.pages.purgedBytes, want, "purged"),
  resident: (env, want) =>
    assert.equal((env.pages as OsPages).residentBytes(), want, "resident"),
};

type Op = RunOp<X, DecayOps>;

interface Case extends RunCase<X, DecayOps, Expect> {
  kind: "os" | "buffer";
  options: { decayMs?: number; retain?: number };
}

// Every byte of the run: what "touch" did.
const touch = (name: string): Op => ["fill", name, 0xa5];

const cases: Case[] = [
  {
    name: "freed pages stay ready for reuse within the decay time",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      ["alloc", "a", 8 * P],
      touch("a"),
      ["free", "a"],
      ["advance", 999],
      ["decay", 0],
    ],
    expect: { retained: 8 * P, purged: 0, committed: 8 * P, resident: 8 * P },
  },
  {
    name: "pages idle longer than the decay time are given back",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      ["alloc", "a", 8 * P],
      touch("a"),
      ["free", "a"],
      ["advance", 1000],
      ["decay", 8 * P],
    ],
    expect: { retained: 0, purged: 8 * P, committed: 0, resident: 0 },
  },
  {
    name: "a block freed and taken again within the window faults nothing",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      ["guard", "guard"],
      ["alloc", "a", 8 * P],
      touch("a"),
      ["free", "a"],
      ["advance", 900],
      ["decay", 0],
      ["alloc", "b", 8 * P],
    ],
    // b is a's pages, zeroed, and still resident before anything writes it
    // (the guard was never written, so it never became resident).
    expect: {
      same: [["a", "b"]],
      zero: [["b", 0, 8 * P]],
      purged: 0,
      resident: 8 * P,
    },
  },
  {
    name: "only the runs idle long enough go back, oldest first",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      ["alloc", "a", 2 * P],
      ["guard", "guard1"],
      ["alloc", "b", 3 * P],
      ["guard", "guard2"],
      touch("a"),
      touch("b"),
      ["free", "a"],
      ["advance", 600],
      ["decay", 0],
      ["free", "b"],
      ["advance", 600],
      ["decay", 2 * P],
    ],
    expect: { retained: 3 * P, purged: 2 * P, resident: 3 * P },
  },
  {
    name: "allocation and free calls give back expired runs a little at a time",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      ["alloc", "a", 4 * P],
      ["guard", "guard"],
      touch("a"),
      ["free", "a"],
      ["advance", 1500],
      ["pairs", 70, 8 * P], // a clock read every 128 calls
    ],
    // The pairs' run is too big for a's pages and comes from the top; it was
    // freed just now (a free is stamped with the clock read then) and is
    // kept, while a went back.
    expect: { retained: 8 * P, purged: 4 * P },
  },
  {
    name:
      "one incremental step gives back exactly 8 expired runs, oldest first",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      // Ten one-page runs, kept apart by guards so that they do not merge.
      ...Array.from({ length: 10 }, (_, i): Op[] => [
        ["alloc", `a${i}`, P],
        ["guard", `guard${i}`],
      ]).flat(),
      ...Array.from({ length: 10 }, (_, i): Op => ["free", `a${i}`]),
      ["advance", 1000],
      // 30 calls so far; the 128th reads the clock and gives back a0..a7
      // (the pairs' own 2-page run is taken at that moment, and kept after).
      ["pairs", 60, 2 * P],
    ],
    expect: { retained: 2 * P + 2 * P, purged: 8 * P, live: 10 * P },
  },
  {
    name: "a byte cap keeps the newest freed pages and gives back the oldest",
    kind: "os",
    options: { decayMs: 1000, retain: 4 * P },
    ops: [
      ["alloc", "a", 4 * P],
      ["guard", "guard1"],
      ["alloc", "b", 4 * P],
      ["guard", "guard2"],
      touch("a"),
      touch("b"),
      ["free", "a"],
      ["advance", 10],
      ["free", "b"],
    ],
    expect: { retained: 4 * P, purged: 4 * P, resident: 4 * P },
  },
  {
    name: "a cap of one page keeps one freed page, the newest",
    kind: "os",
    options: { decayMs: 1000, retain: P },
    ops: [
      ["alloc", "a", P],
      ["guard", "guard1"],
      ["alloc", "b", P],
      ["guard", "guard2"],
      touch("a"),
      touch("b"),
      ["free", "a"],
      ["advance", 10],
      ["free", "b"],
    ],
    // b's page is kept; a's went back when b came (the guards were never
    // written, so they are not resident).
    expect: { retained: P, purged: P, committed: 3 * P, resident: P },
  },
  {
    name: "decayMs 0 gives every freed page back at once",
    kind: "os",
    options: { decayMs: 0 },
    ops: [["alloc", "a", 4 * P], touch("a"), ["free", "a"]],
    expect: { retained: 0, purged: 4 * P, resident: 0 },
  },
  {
    name: "purge() gives back everything kept, however recent",
    kind: "os",
    options: { decayMs: 1000 },
    ops: [
      ["alloc", "a", 4 * P],
      ["guard", "guard"],
      touch("a"),
      touch("guard"),
      ["free", "a"],
      ["purge"],
    ],
    expect: { retained: 0, purged: 4 * P, live: P, resident: P },
  },
  {
    name: "BufferPages keeps freed pages until reused by default",
    kind: "buffer",
    options: {},
    ops: [
      ["alloc", "a", 4 * P],
      touch("a"),
      ["free", "a"],
      ["advance", 1e9],
      ["decay", 0],
    ],
    expect: { retained: 4 * P, purged: 0 },
  },
  {
    name: "BufferPages purge() zeroes the pages but gives nothing back",
    kind: "buffer",
    options: {},
    ops: [
      ["alloc", "a", 4 * P],
      touch("a"),
      ["free", "a"],
      ["purge"],
      ["alloc", "b", 4 * P],
    ],
    expect: {
      retained: 0,
      purged: 0,
      committed: 4 * P,
      zero: [["b", 0, 4 * P]],
    },
  },
];

function run(c: Case): void {
  const clock = fakeClock();
  const options = { reserve: 2 ** 24, clock: clock.now, ...c.options };
  const source: SourceMaker = {
    name: c.kind === "os" ? "OsPages" : "BufferPages",
    detaches: true,
    make: () =>
      c.kind === "os" ? new OsPages(options) : new BufferPages(options),
  };
  runCase(() => pagesSubject(source), c, {
    ops: decayOps(clock),
    checks: decayChecks,
  });
}

Deno.test("page sources: decay, byte cap and purge", async (t) => {
  for (const c of cases) await t.step(c.name, () => run(c));
});

Deno.test("page sources: bad decay options are refused", () => {
  for (
    const make of [
      (o: object) => new OsPages(o),
      (o: object) => new BufferPages(o),
    ]
  ) {
    assert.throws(() => make({ decayMs: -1 }), RangeError);
    assert.throws(
      () => make({ decayMs: NaN }),
      /Decay time must be a non-negative number/,
    );
    assert.throws(() => make({ decayMs: "1" }), TypeError);
    assert.throws(
      () => make({ retain: -5 }),
      /Retention must be a non-negative integer/,
    );
    assert.throws(() => make({ clock: 5 }), /Clock must be a function/);
  }
  assert.throws(() => new Heap({ decayMs: -1 }), RangeError);
  // Past the longest timer delay (engines cut it to 1 ms: memory went back
  // at once): refused, for every allocator that decays.
  for (
    const make of [
      (o: object) => new OsPages(o),
      (o: object) => new BufferPages(o),
      (o: object) => new Heap(o),
      (o: object) => new Pool({ blockSize: 16, ...o }),
    ]
  ) {
    assert.throws(
      () => make({ decayMs: 2 ** 31 }),
      new RangeError(
        "Decay time must be a non-negative number of milliseconds up to 2147483647 (about 24.8 days), or Infinity never to give it back on a timer, got 2147483648",
      ),
    );
    make({ decayMs: 2 ** 31 - 1 }).destroy();
    make({ decayMs: Infinity }).destroy();
  }
});

Deno.test("page sources: decay() and purge() after destroy throw", () => {
  const pages = new OsPages({ reserve: 2 ** 20 });
  pages.destroy();
  assert.throws(() => pages.decay(), DestroyedError);
  assert.throws(() => pages.purge(), DestroyedError);
});

/** Resolves once `done()` holds, checking every 10 ms for up to 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("an idle program gives its pages back with no further call", async () => {
  using pages = new OsPages({ reserve: 2 ** 24, decayMs: 40 });
  const p = pages.alloc(16 * P);
  pages.memory.fill(p, 16 * P, 1);
  pages.free(p, 16 * P);
  assert.equal(pages.residentBytes(), 16 * P);
  // Timers run late on a busy machine: wait for it, up to a generous bound
  // (how soon is a benchmark's business, not a test's).
  await until(() => pages.retainedBytes === 0);
  assert.equal(pages.retainedBytes, 0);
  assert.equal(pages.residentBytes(), 0);
});

Deno.test("the decay timer does not keep the process alive", async () => {
  const script = `
    import { OsPages } from "${new URL("../os/mod.ts", import.meta.url)}";
    const pages = new OsPages({ reserve: 2 ** 24, decayMs: 60_000 });
    pages.free(pages.alloc(4096), 4096);
    console.log(pages.retainedBytes);
  `;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--allow-ffi", script],
    stdout: "piped",
  }).output();
  assert.ok(out.success);
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "4096");
  assert.ok(performance.now() - started < 30_000, "exited without waiting");
});

// ── heap trim ──────────────────────────────────────────────────────────────

Deno.test("Heap.trim gives back the segments whose spans are all empty", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages, decayMs: Infinity });
  const small = Array.from({ length: 40 }, () => heap.alloc(1000)); // 10 spans
  const more = Array.from({ length: 40 }, () => heap.alloc(2000)); // 20 spans
  const keep = heap.alloc(64);
  assert.equal(heap.segments, 3);
  for (const p of [...small, ...more]) heap.free(p);
  // Two segments hold only empty spans; the third holds `keep`.
  assert.equal(heap.trimmableBytes, 2 * 65536);
  assert.equal(heap.trim(), 2 * 65536);
  assert.equal(heap.segments, 1);
  assert.equal(heap.bytesReserved, 4096 + 65536);
  assert.equal(heap.liveSpans, 1);
  assert.equal(heap.emptySpans, 14);
  assert.equal(heap.trimmableBytes, 0);
  assert.equal(heap.trim(), 0);
  heap.validate();
  assert.throws(() => heap.free(small[0]), /not an allocation of this heap/);
  heap.free(keep);
  assert.equal(heap.trim(), 65536);
  assert.equal(heap.bytesReserved, 4096);
  assert.equal(heap.peakReserved, 4096 + 3 * 65536);
  heap.validate();
  // The heap works on: a new segment, zeroed.
  const p = heap.alloc(100);
  assert.ok(isZero(heap.memory, p, 128));
  assert.equal(heap.segments, 1);
  heap.validate();
});

Deno.test("256 MiB freed, trimmed and purged leaves one page resident", () => {
  using pages = new OsPages({ reserve: 2 ** 30 });
  using heap = new Heap({ pages, decayMs: Infinity });
  const live: [number, number][] = [];
  let total = 0;
  for (let i = 0; total < 2 ** 28; i++) {
    const size = [24, 200, 1500, 3000, 40000, 300000][i % 6];
    const p = heap.alloc(size);
    heap.memory.fill(p, size, 7);
    live.push([p, size]);
    total += size;
  }
  assert.ok(pages.residentBytes() >= 2 ** 28);
  // The page source's run tables: 33 bytes a page in use, plus a quarter
  // (exact figures in page_source_tables_test.ts).
  assert.ok(pages.tableBytes <= 0.01 * 2 ** 28, "tables under 1% of the peak");
  for (const [p, size] of live) heap.free(p, size);
  heap.trim();
  pages.purge();
  assert.equal(pages.tableBytes, 1192 + 1024 * 33, "shrunk to one step");
  assert.equal(heap.bytesReserved, 4096);
  // At most the heap's own page (never written, so not even that).
  assert.ok(pages.residentBytes() <= 4096);
  heap.validate();
});

Deno.test("an idle heap gives its segments back to the system by itself", async () => {
  using pages = new OsPages({ reserve: 2 ** 24, decayMs: 40 });
  using heap = new Heap({ pages });
  const ptrs = Array.from({ length: 300 }, () => heap.alloc(512));
  for (const p of ptrs) heap.memory.fill(p, 512, 1);
  for (const p of ptrs) heap.free(p);
  assert.ok(pages.residentBytes() >= 300 * 512);
  await until(() => heap.segments === 0 && pages.retainedBytes === 0);
  assert.equal(heap.segments, 0);
  assert.equal(heap.bytesReserved, 4096);
  assert.ok(pages.residentBytes() <= 4096);
  heap.validate();
});

Deno.test("page sources: the decay timer gives pages back through decay(), under shared pages' lock", async () => {
  // The timer's work is the source's own decay(), which SharedPages runs
  // under its cross-worker lock (the timer must not touch shared tables
  // unlocked); seen here by wrapping the instance's decay().
  using pages = new SharedPages({ reserve: 2 ** 20, decayMs: 5 });
  let calls = 0;
  const decay = pages.decay.bind(pages);
  pages.decay = () => (calls++, decay());
  pages.free(pages.alloc(8192), 8192);
  const kept = pages.retainedBytes;
  assert.equal(kept, 8192);
  for (
    let waited = 0;
    pages.retainedBytes !== 0 && waited < 5000;
    waited += 10
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(pages.retainedBytes, 0);
  assert.ok(calls >= 1, `decay() called ${calls} times`);
});

Deno.test("page sources: a decay timer that fires after another worker destroyed shared pages does nothing", async () => {
  const pages = new SharedPages({ reserve: 2 ** 20, decayMs: 5 });
  using other = SharedPages.attach(pages.handle);
  pages.free(pages.alloc(8192), 8192);
  other.destroy(); // destroys it for every instance; pages' timer stays armed
  await new Promise((resolve) => setTimeout(resolve, 50)); // no throw escapes
  assert.throws(() => pages.alloc(4096), DestroyedError);
});

// A heap whose page source goes first (the destroy order allows it: the heap
// is then only destroyed) has its trim timer armed still; when it fires it
// must do nothing (an exception there ends the process).
type Subject = Pick<Heap, "alloc" | "destroy" | "bytesReserved">;
const GONE_FIRST: [string, () => { heap: Subject; gone: () => void }][] = [
  ["OsPages destroyed, its empty segment waiting", () => {
    const pages = new OsPages({ reserve: 2 ** 24, decayMs: 20 });
    const heap = new Heap({ pages });
    heap.free(heap.alloc(64), 64);
    return { heap, gone: () => pages.destroy() };
  }],
  ["BufferPages destroyed, a medium run in the cache", () => {
    const pages = new BufferPages({ reserve: 2 ** 24, decayMs: 20 });
    const heap = new Heap({ pages });
    heap.free(heap.alloc(8192), 8192);
    return { heap, gone: () => pages.destroy() };
  }],
  // (A WorkerHeap: a plain Heap's fast path does not look at the flag.)
  ["SharedPages destroyed by another instance", () => {
    const pages = new SharedPages({ reserve: 2 ** 24 });
    const heap = new WorkerHeap({ pages, decayMs: 20 });
    heap.free(heap.alloc(64), 64);
    heap.free(heap.alloc(8192), 8192);
    const other = SharedPages.attach(pages.handle);
    return { heap, gone: () => other.destroy() };
  }],
];

Deno.test("a heap's trim timer that fires after its page source was destroyed does nothing", async (t) => {
  for (const [name, make] of GONE_FIRST) {
    await t.step(name, async () => {
      const { heap, gone } = make();
      assert.notEqual(heap.bytesReserved, 4096); // something to give back
      gone();
      await new Promise((resolve) => setTimeout(resolve, 80)); // fires twice
      assert.throws(() => heap.alloc(64), DestroyedError);
      heap.destroy();
      assert.equal(heap.bytesReserved, 0);
    });
  }
});

Deno.test("page sources: the decay timer re-arms for a run that was not idle long enough when it fired", async () => {
  const clock = fakeClock();
  using pages = new OsPages({
    reserve: 2 ** 24,
    decayMs: 40,
    clock: clock.now,
  });
  const a = pages.alloc(2 * P);
  pages.alloc(P); // keeps a's and b's runs apart
  const b = pages.alloc(3 * P);
  pages.free(a, 2 * P); // at 0: the timer is armed for 40
  clock.advance(20);
  assert.equal(pages.decay(), 0); // reads the clock: frees now stamp 20
  pages.free(b, 3 * P); // at 20: due at 60, the timer already armed
  clock.advance(25); // 45: a has been idle 45 ms, b 25 ms
  await until(() => pages.retainedBytes !== 5 * P);
  assert.equal(pages.retainedBytes, 3 * P); // the timer gave a back, kept b
  clock.advance(55); // 100: b idle 80 ms; only a re-armed timer gives it back
  await until(() => pages.retainedBytes === 0);
  assert.equal(pages.retainedBytes, 0);
});

Deno.test("page sources: decayMs left out or undefined is the same default", () => {
  // A spread `{ decayMs: undefined }` once replaced the JavaScript sources'
  // Infinity with the 1 s of native pages.
  const memory = new WebAssembly.Memory({ initial: 17 });
  const rows: [string, (o: { decayMs?: number }) => PageSource, number][] = [
    [
      "BufferPages",
      (o) => new BufferPages({ reserve: 2 ** 20, ...o }),
      Infinity,
    ],
    [
      "WasmPages",
      (o) => new WasmPages({ memory, ...o }),
      Infinity,
    ],
    ["OsPages", (o) => new OsPages({ reserve: 2 ** 20, ...o }), 1000],
    [
      "SharedPages",
      (o) => new SharedPages({ reserve: 2 ** 20, ...o }),
      Infinity,
    ],
  ];
  for (const [name, make, expected] of rows) {
    for (const options of [{}, { decayMs: undefined }]) {
      using pages = make(options);
      assert.equal(
        pages.decayMs,
        expected,
        `${name} ${JSON.stringify(options)}`,
      );
    }
  }
});

Deno.test("SharedPages: a run freed through an instance with no decay is stamped with the time of its free, for the others' decay", () => {
  // The run tables and their stamps are shared: an instance whose decayMs
  // is Infinity must stamp with the clock too, or the others' decay() finds
  // its runs freed long ago (when it last read the clock: when it was made).
  const clock = fakeClock();
  using pages = new SharedPages({
    reserve: 2 ** 24,
    decayMs: 1000,
    clock: clock.now,
  });
  const other = SharedPages.attach(pages.handle, { clock: clock.now });
  assert.equal(other.decayMs, Infinity);
  const a = other.alloc(64 * P);
  other.alloc(P); // keeps a's and b's runs apart
  const b = other.alloc(8 * P);
  clock.advance(1200); // the worker works for 1.2 s
  other.free(a, 64 * P); // freed at 1200
  assert.equal(other.resize(b, 8 * P, 2 * P), b); // its tail freed at 1200
  assert.equal(pages.retainedBytes, 70 * P);
  assert.equal(pages.decay(), 0); // 0 ms after the free
  clock.advance(999);
  assert.equal(pages.decay(), 0);
  assert.equal(pages.retainedBytes, 70 * P);
  clock.advance(1); // 1000 ms after
  assert.equal(pages.decay(), 70 * P);
  assert.equal(pages.retainedBytes, 0);
  assert.equal(other.decay(), 0); // its own: nothing, as ever
});

Deno.test("SharedPages: while no instance decays, frees read no clock; a run freed before the first decaying instance counts from its making", () => {
  const clock = fakeClock();
  let reads = 0;
  const counted = () => (reads++, clock.now());
  using pages = new SharedPages({ reserve: 2 ** 24, clock: counted });
  const a = pages.alloc(4 * P);
  pages.alloc(P); // keeps a's run apart from the next
  const b = pages.alloc(4 * P);
  const before = reads;
  pages.free(a, 4 * P); // no instance decays: the stamp is not read
  assert.equal(reads, before);
  clock.advance(5000);
  const decaying = SharedPages.attach(pages.handle, {
    decayMs: 1000,
    clock: clock.now,
  }); // made at 5000
  assert.equal(decaying.decay(), 0); // a's run counts as freed at 5000
  pages.free(b, 4 * P); // an instance decays now: stamped 5000 (read)
  assert.equal(reads, before + 1);
  clock.advance(999);
  assert.equal(decaying.decay(), 0);
  assert.equal(decaying.retainedBytes, 8 * P);
  clock.advance(1);
  assert.equal(decaying.decay(), 8 * P);
  assert.equal(decaying.retainedBytes, 0);
  decaying.close();
});
