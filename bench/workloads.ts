/**
 * The ten workloads of the report (`docs/design.md`, benchmark workloads) and
 * the loop that runs one of them on one backend, phase by phase, timing each
 * phase.
 *
 * @module
 */
import { Modulus, Xorshift64Star } from "./_xorshift.ts";
import type { Backend } from "./backends/backend.ts";

/** How a workload uses its slots after filling them. */
export type WorkloadKind = "churn" | "ramp_lifo" | "ramp_fifo" | "pin" | "grow";

/**
 * How sizes are drawn: fixed is `lo` (which equals `hi`) and draws nothing;
 * uniform is `lo + r % (hi − lo + 1)`; log is an exponent
 * `e = log2(lo) + r % (log2(hi) − log2(lo) + 1)`, then `2^e + r' % 2^e` (a
 * second draw), clamped to `[lo, hi]`.
 */
export type SizeShape = "fixed" | "uniform" | "log";

/** One workload of the report. */
export interface Workload {
  /** The name in the report, such as `fixed_16`. */
  name: string;
  /** What happens after the fill phase. */
  kind: WorkloadKind;
  /** How sizes are drawn. */
  shape: SizeShape;
  /** Smallest size. */
  lo: number;
  /** Largest size. */
  hi: number;
  /** Number of slots. */
  slots: number;
  /** Operations of the churn or grow phase (0 for the other kinds). */
  ops: number;
}

/** The ten workloads, in the report's order. */
export const WORKLOADS: readonly Workload[] = [
  w("fixed_16", "churn", "fixed", 16, 16, 65536, 400000),
  w("fixed_64", "churn", "fixed", 64, 64, 65536, 400000),
  w("fixed_512", "churn", "fixed", 512, 512, 16384, 100000),
  w("uniform_small", "churn", "uniform", 1, 1024, 32768, 200000),
  w("log_mixed", "churn", "log", 16, 16384, 8192, 100000),
  w("large", "churn", "uniform", 4096, 65536, 1024, 20000),
  w("ramp_lifo", "ramp_lifo", "uniform", 16, 512, 200000, 0),
  w("ramp_fifo", "ramp_fifo", "uniform", 16, 512, 200000, 0),
  w("pin_5pct", "pin", "uniform", 16, 256, 200000, 0),
  // Grow slots start at 16 bytes and double up to this.
  w("realloc_grow", "grow", "uniform", 16, 65536, 2048, 100000),
];

function w(
  name: string,
  kind: WorkloadKind,
  shape: SizeShape,
  lo: number,
  hi: number,
  slots: number,
  ops: number,
): Workload {
  return { name, kind, shape, lo, hi, slots, ops };
}

/** The phases a workload reports, in order. */
export type Phase =
  | "fill"
  | "churn"
  | "free"
  | "pinned"
  | "grow"
  | "drained"
  | "released";

/**
 * Phases that are one call rather than many operations: their time is that
 * call's, reported in µs or ms apart from the ns/op of the others.
 */
export const ONE_CALL_PHASES: readonly Phase[] = ["released"];

/** The measurement of one phase of one run. */
export interface PhaseResult {
  /** Which phase. */
  phase: Phase;
  /** Operations done (all of them unless cut off). */
  ops: number;
  /** Nanoseconds per operation; null if the phase never ran. */
  nsPerOp: number | null;
  /** Live requested bytes at the end of the phase (null if it never ran). */
  req: number | null;
  /** Bytes the backend says are in use, or null if it cannot say. */
  used: number | null;
  /** Bytes the backend holds from the system, or null if it cannot say. */
  reserved: number | null;
  /** Whether the time budget ran out in (or before) this phase. */
  cutOff: boolean;
}

/** Options of {@linkcode runWorkload}. */
export interface RunOptions {
  /** Milliseconds after which the run stops where it is; default Infinity. */
  budgetMs?: number;
  /** Called as each phase starts and ends (progress display). */
  onPhase?: (phase: Phase, result?: PhaseResult) => void;
  /**
   * Whether to end with the `released` phase (default true). Warm-up runs
   * leave it out: what a backend keeps from them is what a warmed-up process
   * has, for every backend alike.
   */
  release?: boolean;
}

/**
 * The sizes of one workload, drawn from the generator in a fixed order:
 * fixed is no draw, uniform is one, log is two (the exponent, then the
 * offset).
 */
export class SizeDrawer {
  readonly #fixed: boolean;
  readonly #log: boolean;
  readonly #lo: number;
  readonly #hi: number;
  readonly #span: Modulus;
  readonly #logLo: number;
  readonly #powers: Modulus[] = [];

  /**
   * Prepares the moduli of a workload's size shape.
   *
   * @param workload The workload.
   */
  constructor(workload: Workload) {
    this.#fixed = workload.shape === "fixed";
    this.#log = workload.shape === "log";
    this.#lo = workload.lo;
    this.#hi = workload.hi;
    if (this.#log) {
      this.#logLo = Math.log2(workload.lo);
      const logHi = Math.log2(workload.hi);
      this.#span = new Modulus(logHi - this.#logLo + 1);
      for (let e = 0; e <= logHi; e++) this.#powers.push(new Modulus(2 ** e));
    } else {
      this.#logLo = 0;
      this.#span = new Modulus(workload.hi - workload.lo + 1);
    }
  }

  /**
   * Draws the next size.
   *
   * @param rng The workload's generator.
   * @returns The size in bytes.
   */
  next(rng: Xorshift64Star): number {
    if (this.#fixed) return this.#lo;
    if (!this.#log) return this.#lo + rng.below(this.#span);
    const e = this.#logLo + rng.below(this.#span);
    const size = 2 ** e + rng.below(this.#powers[e]);
    return size < this.#lo ? this.#lo : size > this.#hi ? this.#hi : size;
  }
}

// A backend that only keeps sizes, for computing req without allocating.
const DRY: Backend<number> = {
  name: "dry",
  none: 0,
  alloc: () => 1,
  resize: () => 1,
  free: () => {},
  measure: () => ({ used: null, reserved: null }),
  bytes: () => new Uint8Array(0),
  destroy: () => {},
};

// The most operations per call of a timed chunk. The timed loops are methods
// that run one chunk and return, called again and again: V8 then optimises
// them as ordinary hot functions (inlining the backend's calls, which FFI
// fast calls need) rather than through on-stack replacement of one long loop,
// and the clock is read once per chunk.
const MAX_CHUNK = 256;

/** The state of one run: the slots and the generator. */
class Slots<H> {
  readonly backend: Backend<H>;
  readonly rng = new Xorshift64Star();
  readonly sizes: SizeDrawer;
  readonly slotOf: Modulus;
  readonly percent = new Modulus(100);
  readonly handles: H[];
  // 0 marks an empty slot: no workload asks for 0 bytes.
  readonly size: Int32Array;
  readonly growMax: number;
  req = 0;
  live = 0;

  constructor(workload: Workload, backend: Backend<H>) {
    this.backend = backend;
    this.sizes = new SizeDrawer(workload);
    this.slotOf = new Modulus(workload.slots);
    this.handles = new Array(workload.slots).fill(backend.none);
    this.size = new Int32Array(workload.slots);
    this.growMax = workload.hi;
  }

  // fill: slots [from, to) in order; grow slots start at 16 bytes, no draw.
  fill(from: number, to: number, grow: boolean): void {
    for (let s = from; s < to; s++) {
      this.place(s, grow ? 16 : this.sizes.next(this.rng));
    }
  }

  // churn: slot = r % slots; free it if live, else allocate.
  churn(count: number): void {
    for (let i = 0; i < count; i++) {
      const s = this.rng.below(this.slotOf);
      if (this.size[s] !== 0) this.release(s);
      else this.place(s, this.sizes.next(this.rng));
    }
  }

  // grow: empty → 16; doubling past the largest size → free; else ×2.
  grow(count: number): void {
    const { backend, handles, size } = this;
    for (let i = 0; i < count; i++) {
      const s = this.rng.below(this.slotOf);
      const n = size[s];
      if (n === 0) this.place(s, 16);
      else if (n * 2 > this.growMax) this.release(s);
      else {
        handles[s] = backend.resize(handles[s], n, n * 2);
        size[s] = n * 2;
        this.req += n;
      }
    }
  }

  // pinned: one draw per slot of [from, to); kept when r % 100 < 5.
  pin(from: number, to: number): void {
    for (let s = from; s < to; s++) {
      if (this.rng.below(this.percent) >= 5) this.release(s);
    }
  }

  // free: slots [from, to) counted from the newest (lifo) or the oldest.
  ramp(from: number, to: number, lifo: boolean): void {
    const last = this.size.length - 1;
    for (let i = from; i < to; i++) this.release(lifo ? last - i : i);
  }

  // drained: every live slot of [from, to); returns how many were freed.
  drain(from: number, to: number): number {
    const size = this.size;
    let freed = 0;
    for (let s = from; s < to; s++) {
      if (size[s] !== 0) {
        this.release(s);
        freed++;
      }
    }
    return freed;
  }

  place(s: number, n: number): void {
    this.handles[s] = this.backend.alloc(n);
    this.size[s] = n;
    this.req += n;
    this.live++;
  }

  release(s: number): void {
    const n = this.size[s];
    this.backend.free(this.handles[s], n);
    this.handles[s] = this.backend.none;
    this.size[s] = 0;
    this.req -= n;
    this.live--;
  }
}

/**
 * Runs one workload on a fresh backend instance and measures every phase.
 * The generator is seeded afresh, so every backend sees the same sizes.
 * When the budget runs out the current phase stops, is reported with the
 * ns/op it had reached and `cutOff`, and the later phases are reported as not
 * run. The backend is destroyed at the end either way.
 *
 * @param workload What to run.
 * @param backend A fresh instance (made for this run).
 * @param options Budget and progress callback.
 * @returns One result per phase, in order.
 */
export function runWorkload<H>(
  workload: Workload,
  backend: Backend<H>,
  options: RunOptions = {},
): PhaseResult[] {
  const deadline = performance.now() + (options.budgetMs ?? Infinity);
  const onPhase = options.onPhase;
  const st = new Slots(workload, backend);
  const slots = workload.slots;
  const results: PhaseResult[] = [];
  let cut = false;

  // Runs `total` operations in chunks through `step(done, n)` (which returns
  // how many operations it did), stopping at the deadline; records the phase.
  const phase = (
    name: Phase,
    total: number,
    step: (done: number, n: number) => number,
  ): void => {
    // Once the budget ran out, every later phase is reported as not run.
    if (cut) return void results.push(notRun(name));
    onPhase?.(name);
    const start = performance.now();
    let done = 0;
    let ops = 0;
    // Chunks start at one operation and double while a chunk takes under a
    // millisecond, so a backend that needs milliseconds per operation is
    // still stopped close to the deadline.
    let chunk = 1;
    let now = start;
    while (done < total) {
      if (now > deadline) {
        cut = true;
        break;
      }
      const n = Math.min(chunk, total - done);
      ops += step(done, n);
      done += n;
      const before = now;
      now = performance.now();
      if (now - before < 1 && chunk < MAX_CHUNK) chunk *= 2;
      else if (now - before > 4 && chunk > 1) chunk >>= 1;
    }
    const ns = (now - start) * 1e6;
    const result: PhaseResult = {
      phase: name,
      ops,
      nsPerOp: ns / Math.max(ops, 1),
      req: st.req,
      ...backend.measure(st.handles),
      cutOff: cut,
    };
    results.push(result);
    onPhase?.(name, result);
  };

  try {
    const grow = workload.kind === "grow";
    phase("fill", slots, (from, n) => {
      st.fill(from, from + n, grow);
      return n;
    });
    switch (workload.kind) {
      case "churn":
        phase("churn", workload.ops, (_, n) => (st.churn(n), n));
        break;
      case "grow":
        phase("grow", workload.ops, (_, n) => (st.grow(n), n));
        break;
      case "pin":
        phase("pinned", slots, (from, n) => (st.pin(from, from + n), n));
        break;
      default: {
        const lifo = workload.kind === "ramp_lifo";
        phase("free", slots, (from, n) => (st.ramp(from, from + n, lifo), n));
      }
    }
    // drained: free whatever is left, reported only if something was.
    if (st.live > 0) {
      phase("drained", slots, (from, n) => st.drain(from, from + n));
    }
    // released: with everything freed, what the backend still holds once it
    // gave back what it can (one operation: the call that does it). The
    // figures above stay those of a backend that keeps what it took.
    const release = backend.release?.bind(backend);
    if (release && options.release !== false) {
      phase("released", 1, () => (release(), 1));
    }
  } finally {
    backend.destroy();
  }
  return results;
}

function notRun(phase: Phase): PhaseResult {
  return {
    phase,
    ops: 0,
    nsPerOp: null,
    req: null,
    used: null,
    reserved: null,
    cutOff: true,
  };
}

/**
 * The live requested bytes after each phase of a workload, computed without
 * allocating anything (the report's `req` column).
 *
 * @param workload The workload.
 * @returns Phase name to req.
 */
export function requested(workload: Workload): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runWorkload(workload, DRY)) out[r.phase] = r.req!;
  return out;
}
