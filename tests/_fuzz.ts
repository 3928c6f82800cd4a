// The process-safety fuzz, run in a subprocess by fuzz_test.ts (a crash —
// a SIGSEGV from touching native memory wrongly — fails the parent test):
// random alloc, resize and free over sizes on a log scale up to 256 KiB, with
// one call in ten deliberately bad, on every allocator and page source,
// through the contract suite's adapters (tests/_subjects.ts). Checked
// against a model of the live blocks:
// - every bad call throws its error class and leaves the subject's counters
//   as they were;
// - where the kind's bytes-used counter follows its blocks (Subject.usage),
//   it equals the model after every operation;
// - a fresh allocation, and the bytes a resize adds, read as zero at the
//   sampled spots below; each live block carries a pattern at its first and
//   last 8 bytes and 8 bytes at a seeded offset, checked before it is freed
//   or resized, after a resize (the bytes kept), and at the end, so that an
//   overlap or a lost copy breaks one;
// - validate() passes every 2^16 operations and at the end.
//
// Environment: FUZZ_OPS operations per target (default 10^7, as `deno task
// fuzz` runs it), FUZZ_SEED the random seed (default 12345; each target's sequence
// depends on it and the target's name only, so a failure printed with its
// seed and target reproduces alone), FUZZ_TARGET a comma list of target
// names or parts of them, case-insensitive (a whole name is that target
// alone; default: all). Progress goes to stderr every 10^6 operations or
// 10 s; the last line on stdout is a JSON report.
//
//   FUZZ_OPS=100000 FUZZ_TARGET="heap on,arena on wasm" deno task fuzz
import { OutOfMemoryError, PointerError } from "../os/mod.ts";
import { parents } from "./_arena_parents.ts";
import { type SourceMaker, sources } from "./_sources.ts";
import {
  arenaSubject,
  debugSubject,
  fixedSubject,
  heapSubject,
  pagesSubject,
  poolSubject,
  type Subject,
  workerHeapSubject,
} from "./_subjects.ts";

/** An allocator to fuzz: a name and its contract-suite subject. */
export interface Target {
  name: string;
  make(): Subject<unknown>;
}

// Room for 200 blocks of up to 256 KiB however fragmented.
const RESERVE = 2 ** 28;
const source = (name: SourceMaker["name"]) =>
  sources.find((s) => s.name === name)!;

/** Every allocator and page source; another kind is one more entry. */
export const targets: Target[] = [
  ...sources.map((s) => ({
    name: `Heap on ${s.name}`,
    make: () => heapSubject(s, RESERVE),
  })),
  {
    name: "WorkerHeap on SharedPages",
    make: () => workerHeapSubject(RESERVE),
  },
  ...parents.map((p) => ({
    name: `Arena on ${p.name}`,
    make: () => arenaSubject(p, { reserve: RESERVE }),
  })),
  {
    name: "FixedAllocator",
    make: () => fixedSubject(source("BufferPages"), { length: 2 ** 24 }),
  },
  {
    name: "DebugAllocator on a Heap",
    make: () => debugSubject(source("OsPages"), RESERVE),
  },
  ...sources.map((s) => ({
    name: s.name,
    make: () => pagesSubject(s, { reserve: RESERVE }),
  })),
  ...sources.map((s) => ({
    name: `Pool on ${s.name}`,
    make: () => poolSubject(s, RESERVE),
  })),
  {
    name: "Pool on a Heap",
    make: () => poolSubject(source("BufferPages"), RESERVE, { onHeap: true }),
  },
  {
    name: "Pool of 40-byte blocks",
    make: () => poolSubject(source("BufferPages"), RESERVE, { blockSize: 40 }),
  },
];

const MAX_LIVE = 200;
/** Freed blocks remembered for double frees. */
const FREED = 64;
/** Bytes allocated after which an allocator that keeps older frees is cleared. */
const CLEAR_AFTER = 2 ** 23;
const LARGEST = 2 ** 18;
const PROGRESS_OPS = 1_000_000;
const PROGRESS_MS = 10_000;

/**
 * The bad calls (as Run.#bad makes them): what each does, and the error it
 * must throw. The first NEEDS_BLOCK need no live block; then one on a live
 * block's pointer, two on a pointer inside one, and a second free of a
 * freed block.
 */
const BAD: [string, new (...args: never[]) => Error][] = [
  ["alloc(-1)", RangeError],
  ["alloc(1.5)", RangeError],
  ["alloc(maxSize + 1)", RangeError],
  ["free(-16, 16)", PointerError],
  ["free(NaN, 16)", PointerError],
  ["free of a pointer past the memory", PointerError],
  ["resize of a pointer past the memory", PointerError],
  ["resize(p, n, -1)", RangeError],
  ["free(p + 8, n - 8)", PointerError],
  ["resize(p + 8, n - 8, 64)", PointerError],
  ["a second free of a freed block", PointerError],
];
const NEEDS_BLOCK = 7;
const INTERIOR_FREE = 8;
const INTERIOR_RESIZE = 9;
const DOUBLE_FREE = 10;

/** Whether two states (numbers, strings, arrays and plain objects) are equal. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>, y = b as Record<string, unknown>;
  for (const k in x) if (!same(x[k], y[k])) return false;
  for (const k in y) if (!(k in x)) return false;
  return true;
}

/** The outcome of one target. */
export interface Result {
  name: string;
  ops: number;
  ms: number;
  /** The first failure's stack; absent when it passed. */
  error?: string;
}

// The pattern byte at offset i of a block with this seed: never zero, so that
// a block zeroed under its owner fails too.
const byteAt = (seed: number, i: number) => ((seed + i * 7) & 127) | 128;
// The start of the sampled middle spot: 8 bytes at a seeded offset.
const midOf = (seed: number, size: number) =>
  size <= 16 ? 0 : (Math.imul(seed, 0x9e3779b1) >>> 0) % (size - 8);

/** One run of one target: the model of its live blocks, and the operations. */
class Run {
  readonly subject: Subject<unknown>;
  readonly name: string;
  #u8: Uint8Array;
  #s: number;
  #keeps: boolean;
  #max: number;
  // The live blocks: pointer, size and pattern seed (oldest first where
  // frees keep older blocks, so that the newest is last).
  #ptr = new Float64Array(MAX_LIVE);
  #size = new Float64Array(MAX_LIVE);
  #seed = new Int32Array(MAX_LIVE);
  #live = 0;
  // A ring of blocks freed lately, for double frees.
  #freedPtr = new Float64Array(FREED);
  #freedSize = new Float64Array(FREED);
  #freed = 0;
  #nextSeed = 1;
  // What the bytes-used counter should read, where it follows the blocks.
  #used = 0;
  // Whether the newest block is the allocator's last allocation, so that a
  // pointer into it is refused as interior (arenas and fixed regions check
  // other blocks for liveness only).
  #newestIsLast = false;
  #sinceClear = 0;
  op = 0;

  constructor(target: Target, seed: number) {
    this.name = target.name;
    this.subject = target.make();
    this.#u8 = this.subject.allocator.memory.u8;
    this.#s = seed >>> 0 || 1;
    this.#keeps = this.subject.olderFree === "keeps";
    this.#max = Math.min(this.subject.maxSize, LARGEST - 1);
  }

  /** xorshift32, as a fraction in [0, 1). */
  #rand(): number {
    let s = this.#s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#s = s;
    return (s >>> 0) / 2 ** 32;
  }

  #pick(n: number): number {
    return Math.floor(this.#rand() * n);
  }

  // Sizes on a log scale from 0 to LARGEST - 1, one in 18 of them 0.
  #sizeOf(): number {
    return Math.min(this.#max, Math.floor(2 ** (this.#rand() * 18)) - 1);
  }

  #fail(what: string): never {
    throw new Error(`${this.name}, operation ${this.op}: ${what}`);
  }

  run(ops: number, progress: (done: number) => void): void {
    const usage = this.subject.usage;
    for (this.op = 0; this.op < ops; this.op++) {
      const r = this.#rand();
      if (r < 0.1) this.#bad();
      else if (r < 0.55 || this.#live === 0) this.#alloc();
      else if (r < 0.8) this.#free(this.#victim());
      else this.#resize(this.#victim());
      if (usage !== undefined && usage.bytes() !== this.#used) {
        this.#fail(`${usage.bytes()} bytes used, the model says ${this.#used}`);
      }
      if ((this.op & 0x3fff) === 0x3fff) {
        if ((this.op & 0xffff) === 0xffff) this.subject.validate();
        progress(this.op + 1);
      }
    }
    for (let i = 0; i < this.#live; i++) this.#intact(i, "at the end");
    this.subject.validate();
    while (this.#live > 0) this.#free(this.#live - 1);
    this.subject.validate();
    if (usage !== undefined && usage.bytes() !== 0) {
      this.#fail(`${usage.bytes()} bytes used once everything was freed`);
    }
  }

  // The block to free or resize: for an allocator that keeps older frees,
  // the newest half the time (so that some frees give bytes back).
  #victim(): number {
    if (this.#keeps && this.#rand() < 0.5) return this.#live - 1;
    return this.#pick(this.#live);
  }

  #alloc(): void {
    if (this.#live === MAX_LIVE) return;
    if (this.#keeps && this.#sinceClear > CLEAR_AFTER) this.#clear();
    const size = this.#sizeOf();
    let ptr: number;
    try {
      ptr = this.subject.allocator.alloc(size);
    } catch (e) {
      return this.#outOfMemory(e);
    }
    const seed = this.#nextSeed++;
    this.#zero(ptr, size, seed, 0, "a fresh allocation, not zero");
    this.#mark(ptr, size, seed);
    this.#set(this.#live++, ptr, size, seed);
    this.#used += this.#charge(size);
    this.#sinceClear += size;
    this.#newestIsLast = true;
  }

  #free(i: number): void {
    this.#intact(i, "before free");
    const ptr = this.#ptr[i], size = this.#size[i];
    this.subject.allocator.free(ptr, size);
    this.#drop(i);
    this.#used -= this.#charge(size);
    this.#remember(ptr, size);
    this.#newestIsLast = false;
  }

  #resize(i: number): void {
    this.#intact(i, "before resize");
    const ptr = this.#ptr[i], size = this.#size[i], seed = this.#seed[i];
    const to = this.#sizeOf();
    let moved: number;
    try {
      moved = this.subject.allocator.resize(ptr, size, to);
    } catch (e) {
      return this.#outOfMemory(e);
    }
    if (to === 0) {
      if (moved !== 0) this.#fail(`resize to 0 returned ${moved}, not 0`);
      this.#used -= this.#charge(size);
      this.#drop(i);
      this.#remember(ptr, size);
      this.#newestIsLast = false;
      return;
    }
    this.#used += this.#charge(to) - this.#charge(size);
    this.#check(moved, size, seed, to, "the bytes a resize kept");
    const next = this.#nextSeed++;
    this.#zero(moved, to, next, size, "the bytes a resize added, not zero");
    this.#mark(moved, to, next);
    if (moved !== ptr) {
      this.#drop(i);
      this.#remember(ptr, size);
      i = this.#live++;
      this.#newestIsLast = true;
    } else {
      this.#newestIsLast &&= i === this.#live - 1;
    }
    this.#set(i, moved, to, next);
    this.#sinceClear += to;
  }

  // One deliberately bad call (see BAD): it must throw its error class with
  // a sentence-case message, and leave the counters as they were.
  #bad(): void {
    const allocator = this.subject.allocator;
    let kind = this.#pick(BAD.length);
    // A call on a live block: a random one, or where only the last
    // allocation's interior is refused, that one.
    let i = this.#live === 0 ? -1 : this.#pick(this.#live);
    if (kind === INTERIOR_FREE || kind === INTERIOR_RESIZE) {
      if (this.#keeps) i = this.#newestIsLast ? this.#live - 1 : -1;
      if (i !== -1 && this.#size[i] < 16) i = -1;
    }
    const gone = kind === DOUBLE_FREE ? this.#gone() : -1;
    if (kind === DOUBLE_FREE ? gone === -1 : kind >= NEEDS_BLOCK && i === -1) {
      kind = this.#pick(NEEDS_BLOCK);
    }
    const ptr = i === -1 ? 0 : this.#ptr[i],
      size = i === -1 ? 0 : this.#size[i];
    const far = allocator.memory.byteLength + 4096;
    const before = this.subject.state();
    let error: unknown;
    try {
      switch (kind) {
        case 0:
          allocator.alloc(-1);
          break;
        case 1:
          allocator.alloc(1.5);
          break;
        case 2:
          allocator.alloc(this.subject.maxSize + 1);
          break;
        case 3:
          allocator.free(-16, 16);
          break;
        case 4:
          allocator.free(NaN, 16);
          break;
        case 5:
          allocator.free(far, 16);
          break;
        case 6:
          allocator.resize(far, 16, 64);
          break;
        case 7:
          allocator.resize(ptr, size, -1);
          break;
        case INTERIOR_FREE:
          allocator.free(ptr + 8, size - 8);
          break;
        case INTERIOR_RESIZE:
          allocator.resize(ptr + 8, size - 8, 64);
          break;
        case DOUBLE_FREE:
          allocator.free(this.#freedPtr[gone], this.#freedSize[gone]);
          break;
      }
    } catch (e) {
      error = e;
    }
    const [call, expected] = BAD[kind];
    if (error === undefined) this.#fail(`${call} was not refused`);
    if (!(error instanceof expected) || !/^[A-Z]/.test(error.message)) {
      this.#fail(`${call} threw ${error}, not a ${expected.name}`);
    }
    if (!same(this.subject.state(), before)) {
      this.#fail(
        `${call} changed the counters: ${JSON.stringify(before)} became ${
          JSON.stringify(this.subject.state())
        }`,
      );
    }
  }

  // A block freed lately whose pointer is no live block's (so that freeing
  // it again is a double free, whatever reuse came since), or -1.
  #gone(): number {
    const n = Math.min(this.#freed, FREED);
    if (n === 0) return -1;
    const k = this.#pick(n), ptr = this.#freedPtr[k];
    for (let i = 0; i < this.#live; i++) if (this.#ptr[i] === ptr) return -1;
    return k;
  }

  #charge(size: number): number {
    return this.subject.usage?.charge(size) ?? 0;
  }

  // Out of memory is no failure (the live blocks are bounded, their sizes
  // are not): an allocator that keeps older frees starts again.
  #outOfMemory(e: unknown): void {
    if (!(e instanceof OutOfMemoryError)) throw e;
    if (this.#keeps) this.#clear();
  }

  #clear(): void {
    for (let i = 0; i < this.#live; i++) this.#intact(i, "before clear");
    this.subject.clear!();
    this.#live = 0;
    this.#freed = 0;
    this.#sinceClear = 0;
    this.#newestIsLast = false;
  }

  #set(i: number, ptr: number, size: number, seed: number): void {
    this.#ptr[i] = ptr;
    this.#size[i] = size;
    this.#seed[i] = seed;
  }

  // Removes block i: keeping the order where the newest must stay last
  // (an allocator that keeps older frees), moving the last into its place
  // elsewhere.
  #drop(i: number): void {
    const last = --this.#live;
    if (i === last) return;
    if (this.#keeps) {
      this.#ptr.copyWithin(i, i + 1, last + 1);
      this.#size.copyWithin(i, i + 1, last + 1);
      this.#seed.copyWithin(i, i + 1, last + 1);
    } else {
      this.#set(i, this.#ptr[last], this.#size[last], this.#seed[last]);
    }
  }

  #remember(ptr: number, size: number): void {
    if (this.#keeps) return;
    const k = this.#freed++ % FREED;
    this.#freedPtr[k] = ptr;
    this.#freedSize[k] = size;
  }

  #intact(i: number, when: string): void {
    this.#check(this.#ptr[i], this.#size[i], this.#seed[i], Infinity, when);
  }

  // Writes the pattern of a block of `n` bytes at `p` at its three spots.
  #mark(p: number, n: number, seed: number): void {
    const u8 = this.#u8, mid = midOf(seed, n);
    for (let k = 0; k < 8 && k < n; k++) u8[p + k] = byteAt(seed, k);
    for (let k = mid; k < mid + 8 && k < n; k++) u8[p + k] = byteAt(seed, k);
    for (let k = Math.max(0, n - 8); k < n; k++) u8[p + k] = byteAt(seed, k);
  }

  // Checks the pattern of a block of `n` bytes marked with `seed`, now at
  // `p`, at the spots below `limit`.
  #check(p: number, n: number, seed: number, limit: number, when: string) {
    const u8 = this.#u8, mid = midOf(seed, n), end = Math.min(n, limit);
    for (let k = 0; k < 8 && k < end; k++) {
      if (u8[p + k] !== byteAt(seed, k)) this.#wrong(p, n, k, when);
    }
    for (let k = mid; k < mid + 8 && k < end; k++) {
      if (u8[p + k] !== byteAt(seed, k)) this.#wrong(p, n, k, when);
    }
    for (let k = Math.max(0, n - 8); k < end; k++) {
      if (u8[p + k] !== byteAt(seed, k)) this.#wrong(p, n, k, when);
    }
  }

  // Checks that a block of `n` bytes at `p` reads as zero at the spots a
  // pattern with `seed` will take, from offset `from` on.
  #zero(p: number, n: number, seed: number, from: number, what: string) {
    const u8 = this.#u8, mid = midOf(seed, n);
    for (let k = from; k < 8 && k < n; k++) {
      if (u8[p + k] !== 0) this.#wrong(p, n, k, what);
    }
    for (let k = Math.max(from, mid); k < mid + 8 && k < n; k++) {
      if (u8[p + k] !== 0) this.#wrong(p, n, k, what);
    }
    for (let k = Math.max(from, n - 8); k < n; k++) {
      if (u8[p + k] !== 0) this.#wrong(p, n, k, what);
    }
  }

  #wrong(p: number, n: number, k: number, when: string): never {
    this.#fail(
      `block ${p} of ${n} bytes reads ${
        this.#u8[p + k]
      } at byte ${k} (${when})`,
    );
  }
}

/** A 32-bit seed for one target: the run's seed mixed with its name. */
function seedFor(seed: number, name: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  }
  return h >>> 0 || 1;
}

/** How often a run says how far it got, and where. */
export interface Progress {
  /** Operations between two lines (looked at every 2^14 operations). */
  ops: number;
  /** Milliseconds between two lines, if fewer operations took that long. */
  ms: number;
  print(line: string): void;
}

const STDERR: Progress = {
  ops: PROGRESS_OPS,
  ms: PROGRESS_MS,
  print: (line) => console.error(line),
};

/** Fuzzes one target with `ops` operations from `seed`. */
export function fuzz(
  target: Target,
  ops: number,
  seed: number,
  every: Progress = STDERR,
): Result {
  const started = performance.now();
  let shownOps = 0, shownAt = started;
  const progress = (done: number) => {
    const now = performance.now();
    if (done - shownOps < every.ops && now - shownAt < every.ms) return;
    shownOps = done;
    shownAt = now;
    const rate = Math.round(done / ((now - started) / 1000));
    every.print(
      `fuzz: ${target.name}: ${done} of ${ops} operations, ${rate} ops/s`,
    );
  };
  let run: Run | undefined;
  try {
    run = new Run(target, seedFor(seed, target.name));
    run.run(ops, progress);
    return { name: target.name, ops, ms: performance.now() - started };
  } catch (e) {
    return {
      name: target.name,
      ops: run?.op ?? 0,
      ms: performance.now() - started,
      error: e instanceof Error ? e.stack ?? e.message : String(e),
    };
  } finally {
    try {
      run?.subject[Symbol.dispose]();
    } catch {
      // A subject that failed may not come apart cleanly; its error is kept.
    }
  }
}

function envNumber(name: string, fallback: number): number {
  const text = Deno.env.get(name) ?? "";
  if (text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${text}`);
  }
  return value;
}

/**
 * The targets `filter` names: a comma list of target names, or of parts of
 * them (case-insensitive); empty for all.
 */
export function select(filter: string): Target[] {
  const parts = filter.split(",").map((p) => p.trim().toLowerCase())
    .filter((p) => p !== "");
  if (parts.length === 0) return targets;
  const names = targets.map((t) => t.name.toLowerCase());
  const chosen = targets.filter((_, i) =>
    parts.some((p) => names.includes(p) ? names[i] === p : names[i].includes(p))
  );
  if (chosen.length === 0) {
    throw new RangeError(
      `FUZZ_TARGET ${
        JSON.stringify(filter)
      } matches no target; the targets are: ${
        targets.map((t) => t.name).join(", ")
      }`,
    );
  }
  return chosen;
}

if (import.meta.main) {
  const ops = envNumber("FUZZ_OPS", 10_000_000);
  const seed = envNumber("FUZZ_SEED", 12345);
  const chosen = select(Deno.env.get("FUZZ_TARGET") ?? "");
  console.error(
    `fuzz: seed ${seed} (FUZZ_SEED), ${ops} operations (FUZZ_OPS) on each of ${chosen.length} target${
      chosen.length === 1 ? "" : "s"
    } (FUZZ_TARGET)`,
  );
  const opsPerSecond: Record<string, number> = {};
  const failed: string[] = [];
  for (const target of chosen) {
    const result = fuzz(target, ops, seed);
    const rate = Math.round(result.ops / (result.ms / 1000));
    opsPerSecond[target.name] = rate;
    const time = `${(result.ms / 1000).toFixed(1)} s, ${rate} ops/s`;
    if (result.error === undefined) {
      console.error(`fuzz: ${target.name}: ${ops} operations in ${time}: ok`);
    } else {
      failed.push(target.name);
      console.error(
        `fuzz: ${target.name}: FAILED after ${result.ops} operations (${time}); FUZZ_SEED=${seed} FUZZ_TARGET=${
          JSON.stringify(target.name)
        } reproduces it:\n${result.error}`,
      );
    }
  }
  console.log(JSON.stringify({ seed, ops, opsPerSecond, failed }));
  if (failed.length > 0) Deno.exit(1);
}
