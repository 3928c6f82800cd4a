/**
 * `deno run -A bench/particles.ts [kind] [steps]` ({@linkcode HELP}): a
 * particle system of 100,000 `{ x, y, vx, vy: f64; id: u32 }` records, each
 * step moving every particle by its velocity and bouncing it off the unit
 * square's walls. Kinds:
 *
 * - `soa`: struct-of-arrays, five typed arrays (the floor);
 * - `js`: plain JS objects in an array;
 * - `pool`: one Pool block per record, their pointers in an Int32Array,
 *   each reached by setting a cursor's `ptr`;
 * - `pool-offsets`: the same blocks, fields read at the layout's offsets
 *   by hand (`f64[p / 8 + X]`, the cursor's exact arithmetic);
 * - `heap`: one Heap block per record (a 40-byte record takes its 48-byte
 *   class), through a cursor as `pool`;
 * - `array`: the records side by side in one Heap block, a
 *   `Particle.array(...)`, visited by a cursor whose `ptr` steps by the
 *   record's size from the array's `ptr` to its `end`;
 * - `array-at`: the same array, each record reached by the checked
 *   `at(i)`.
 *
 * The work is the same in every kind: a step reads x, y, vx and vy of
 * every particle, writes x and y, and writes vx or vy on a bounce; id is
 * written once at the start and not read (it sits in the records' cache
 * lines, as it does in a real record, and in an array of its own in
 * `soa`). The particle set is fixed — no particle is spawned or killed —
 * so no kind allocates during a step, and every kind starts from the
 * same seeded positions and velocities: their checksums agree.
 *
 * Prints, per kind, the best and the mean nanoseconds per step and per
 * particle update over rounds of 10 steps (the best is the one a loaded
 * machine spoils least), and the process's peak RSS (VmHWM). Without a
 * kind it runs each in a subprocess of its own, so that each peak RSS is
 * its own; `compare [rounds]` runs them all in one process, interleaved,
 * for ratios that one machine load shares (the pool and heap kinds then
 * share their loop's code, as one program with two systems would).
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { type Memory, OsPages } from "../os/mod.ts";
import type { RecordCursor } from "../record/mod.ts";
import { Particle } from "./_particle.ts";
import { main, positionalArgs, type PositionalValues } from "./_cli.ts";

const N = 100_000;
const DT = 0.001;

// The same start for every kind: positions and velocities of a seeded
// xorshift, so that every kind computes the same numbers.
function starts(): Float64Array {
  const out = new Float64Array(N * 4);
  let s = 19;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 32;
  }
  return out;
}

interface System {
  step(): void;
  // The sum of the positions, to check that every kind agrees.
  checksum(): number;
}

function soa(): System {
  const x = new Float64Array(N), y = new Float64Array(N);
  const vx = new Float64Array(N), vy = new Float64Array(N);
  const id = new Uint32Array(N);
  const s = starts();
  for (let i = 0; i < N; i++) {
    x[i] = s[4 * i];
    y[i] = s[4 * i + 1];
    vx[i] = s[4 * i + 2] - 0.5;
    vy[i] = s[4 * i + 3] - 0.5;
    id[i] = i;
  }
  return {
    step() {
      for (let i = 0; i < N; i++) {
        let px = x[i] + vx[i] * DT, py = y[i] + vy[i] * DT;
        if (px < 0 || px > 1) vx[i] = -vx[i], px = x[i];
        if (py < 0 || py > 1) vy[i] = -vy[i], py = y[i];
        x[i] = px;
        y[i] = py;
      }
    },
    checksum: () => x.reduce((a, b) => a + b) + y.reduce((a, b) => a + b),
  };
}

interface P {
  x: number;
  y: number;
  vx: number;
  vy: number;
  id: number;
}

function js(): System {
  const s = starts();
  const ps: P[] = [];
  for (let i = 0; i < N; i++) {
    ps.push({
      x: s[4 * i],
      y: s[4 * i + 1],
      vx: s[4 * i + 2] - 0.5,
      vy: s[4 * i + 3] - 0.5,
      id: i,
    });
  }
  return {
    step() {
      for (let i = 0; i < N; i++) {
        const p = ps[i];
        let px = p.x + p.vx * DT, py = p.y + p.vy * DT;
        if (px < 0 || px > 1) p.vx = -p.vx, px = p.x;
        if (py < 0 || py > 1) p.vy = -p.vy, py = p.y;
        p.x = px;
        p.y = py;
      }
    },
    checksum: () => ps.reduce((a, p) => a + p.x + p.y, 0),
  };
}

type ParticleCursor = RecordCursor<typeof Particle.fieldTypes>;

// One particle's move through a cursor at it: the step of every records
// kind but `pool-offsets` (V8 inlines it into each loop).
function move(c: ParticleCursor): void {
  let px = c.x + c.vx * DT, py = c.y + c.vy * DT;
  if (px < 0 || px > 1) c.vx = -c.vx, px = c.x;
  if (py < 0 || py > 1) c.vy = -c.vy, py = c.y;
  c.x = px;
  c.y = py;
}

// The records of every kind but `array`: one block each, by pointer.
function records(kind: "pool" | "pool-offsets" | "heap"): System {
  // Every record is Particle.size bytes: a Heap is told so, a Pool knows.
  const allocator: { memory: Memory; alloc(size: number): number } =
    kind === "heap" ? new Heap({ pages: new OsPages() }) : Particle.pool();
  const alloc = () => allocator.alloc(Particle.size);
  const ptrs = new Int32Array(N);
  const c = Particle.cursor(allocator.memory);
  const s = starts();
  for (let i = 0; i < N; i++) {
    c.ptr = ptrs[i] = alloc();
    c.x = s[4 * i];
    c.y = s[4 * i + 1];
    c.vx = s[4 * i + 2] - 0.5;
    c.vy = s[4 * i + 3] - 0.5;
    c.id = i;
  }
  const f64 = allocator.memory.f64;
  const { x: X, y: Y, vx: VX, vy: VY } = Particle.offsets;
  const [x8, y8, vx8, vy8] = [X / 8, Y / 8, VX / 8, VY / 8];
  const step = kind === "pool-offsets"
    ? () => {
      for (let i = 0; i < N; i++) {
        const w = ptrs[i] / 8;
        let px = f64[w + x8] + f64[w + vx8] * DT;
        let py = f64[w + y8] + f64[w + vy8] * DT;
        if (px < 0 || px > 1) f64[w + vx8] = -f64[w + vx8], px = f64[w + x8];
        if (py < 0 || py > 1) f64[w + vy8] = -f64[w + vy8], py = f64[w + y8];
        f64[w + x8] = px;
        f64[w + y8] = py;
      }
    }
    : () => {
      for (let i = 0; i < N; i++) {
        c.ptr = ptrs[i];
        move(c);
      }
    };
  return {
    step,
    checksum() {
      let sum = 0;
      for (let i = 0; i < N; i++) {
        c.ptr = ptrs[i];
        sum += c.x + c.y;
      }
      return sum;
    },
  };
}

// The records side by side in one block: a cursor stepped by the record
// size (`array`), or the array's checked at(i) (`array-at`).
function array(kind: "array" | "array-at"): System {
  const heap = new Heap({ pages: new OsPages() });
  const ps = Particle.array(heap.memory, heap.alloc(N * Particle.size), N);
  const c = Particle.cursor(heap.memory);
  const s = starts();
  for (let i = 0; i < N; i++) {
    const p = ps.at(i);
    p.x = s[4 * i];
    p.y = s[4 * i + 1];
    p.vx = s[4 * i + 2] - 0.5;
    p.vy = s[4 * i + 3] - 0.5;
    p.id = i;
  }
  const step = kind === "array"
    ? () => {
      for (c.ptr = ps.ptr; c.ptr < ps.end; c.ptr += Particle.size) move(c);
    }
    : () => {
      for (let i = 0; i < N; i++) move(ps.at(i));
    };
  return {
    step,
    checksum() {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += ps.at(i).x + ps.at(i).y;
      return sum;
    },
  };
}

function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

const KINDS = [
  "soa",
  "js",
  "pool",
  "pool-offsets",
  "heap",
  "array",
  "array-at",
] as const;

/**
 * The positional arguments: a kind and its steps, or `compare` and its
 * rounds (of 10 steps of every kind).
 */
export const ARGS = [
  { name: "kind", words: ["all", ...KINDS, "compare"], default: "all" },
  { name: "steps", min: 10, max: 100_000, default: 200 },
] as const;
/** The arguments after `compare`. */
export const COMPARE_ARGS = [
  ARGS[0],
  { name: "rounds", min: 1, max: 10_000, default: 30 },
] as const;

/** The `--help` text. */
export const HELP = `\
deno run -A bench/particles.ts [kind] [steps]
deno run -A bench/particles.ts compare [rounds]

A particle system of ${N} records stepped in each kind: ns per step and per
particle, and the peak RSS.

  kind    all (the default: each kind in a subprocess of its own), or one of
          ${KINDS.join(", ")}
  steps   steps, in rounds of 10 (rounded), from 10 to 100000 (default: 200)
  compare every kind in this process, interleaved round by round
  rounds  with compare, rounds of 10 steps, from 1 to 10000 (default: 30)`;

/** The command line: a kind and its steps, or `compare` and its rounds. */
export type ParticlesArgs =
  | PositionalValues<typeof ARGS>
  | PositionalValues<typeof COMPARE_ARGS>;

/**
 * Parses the command line (`positionalArgs`).
 *
 * @example
 * ```ts
 * import { parseParticlesArgs } from "./particles.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseParticlesArgs(["compare"]), {
 *   kind: "compare",
 *   rounds: 30,
 *   help: false,
 * });
 * ```
 *
 * @param args The arguments.
 * @returns kind and steps, or kind `compare` and rounds; throws a TypeError
 *   naming a bad one.
 */
export function parseParticlesArgs(args: string[]): ParticlesArgs {
  return args[0] === "compare"
    ? positionalArgs(args, COMPARE_ARGS)
    : positionalArgs(args, ARGS);
}

function make(kind: string): System {
  if (kind === "soa") return soa();
  if (kind === "js") return js();
  if (kind === "pool" || kind === "pool-offsets" || kind === "heap") {
    return records(kind);
  }
  if (kind === "array" || kind === "array-at") return array(kind);
  throw new TypeError(
    `Kind must be compare or one of ${KINDS.join(", ")}, got ${kind}`,
  );
}

// Steps in rounds of 10: the best round and the mean of them all.
function measure(kind: string, steps: number): void {
  const system = make(kind);
  for (let i = 0; i < 20; i++) system.step(); // warm up
  let best = Infinity, total = 0;
  const rounds = Math.max(1, Math.round(steps / 10));
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    for (let i = 0; i < 10; i++) system.step();
    const ns = (performance.now() - started) * 1e6 / 10;
    best = Math.min(best, ns);
    total += ns;
  }
  console.log(JSON.stringify({
    kind,
    particles: N,
    steps: rounds * 10,
    bestNsPerStep: Math.round(best),
    meanNsPerStep: Math.round(total / rounds),
    bestNsPerParticle: +(best / N).toFixed(2),
    checksum: +system.checksum().toFixed(6),
    peakRssMiB: +(peakRss() / 2 ** 20).toFixed(1),
  }));
}

// Every kind in this process, steps interleaved round by round, so that
// the machine's load falls on each alike: the best round of each, its
// ratio to struct-of-arrays and how many times faster than JS objects.
function compare(rounds: number): void {
  const systems = KINDS.map((k) => [k, make(k)] as const);
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const [k, system] of systems) {
      const started = performance.now();
      for (let i = 0; i < 10; i++) system.step();
      const ns = (performance.now() - started) * 1e6 / 10 / N;
      best.set(k, Math.min(best.get(k) ?? Infinity, ns));
    }
  }
  const floor = best.get("soa")!, js = best.get("js")!;
  for (const [k] of systems) {
    const ns = best.get(k)!;
    console.log(
      `${k.padEnd(13)} ${(ns * N / 1e3).toFixed(0).padStart(6)} µs/step ${
        ns.toFixed(2).padStart(6)
      } ns/particle  ${(ns / floor).toFixed(2)}× soa  ${
        (js / ns).toFixed(2)
      }× faster than js`,
    );
  }
}

if (import.meta.main) {
  await main(parseParticlesArgs, HELP, (args) => {
    if ("rounds" in args) return compare(args.rounds);
    if (args.kind !== "all") return measure(args.kind, args.steps);
    for (const k of KINDS) {
      const out = new Deno.Command(Deno.execPath(), {
        // Reading /proc/self/status needs every permission.
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          k,
          String(args.steps),
        ],
      }).outputSync();
      Deno.stdout.writeSync(out.stdout);
      Deno.stderr.writeSync(out.stderr);
    }
  });
}
