/**
 * The cross-worker workload: N workers each allocate, pass half of their
 * blocks to the next worker, which frees them (bench/_cross_worker_task.ts),
 * at 1, 2 and 4 workers, on `heap` (a WorkerHeap per worker on one
 * SharedPages) and `malloc` (libc through FFI in every worker). Reports ns
 * per operation (an alloc or a free) per worker, and throughput relative to
 * one worker. `deno task bench:workers [--workers=1,2,4] [--rounds=N]
 * [--runs=N]` (`--help` lists them, {@linkcode HELP}); the report
 * (`deno task bench`) prints the same table at the end.
 *
 * @module
 */
import { integerArg, main, strictArgs } from "./_cli.ts";
import { SharedPages } from "../os/mod.ts";
import {
  BATCH,
  type CrossResult,
  type CrossTask,
  RING,
} from "./_cross_worker_task.ts";
import { plainTable } from "./_table.ts";

/** One measurement: a backend at a worker count. */
export interface CrossRow {
  backend: CrossTask["backend"];
  workers: number;
  /** Wall time divided by each worker's operations. */
  nsPerOp: number;
  /** All workers' operations per microsecond. */
  opsPerUs: number;
}

async function runOnce(
  backend: CrossTask["backend"],
  workers: number,
  rounds: number,
): Promise<CrossRow> {
  using pages = new SharedPages({ reserve: 2 ** 28 });
  const rings = new SharedArrayBuffer(8 * (workers + 1) + 16 * RING * workers);
  const handles = Array.from(
    { length: workers },
    () =>
      new Worker(new URL("./_cross_worker_task.ts", import.meta.url), {
        type: "module",
      }),
  );
  const results = handles.map((worker, index) =>
    new Promise<CrossResult>((resolve, reject) => {
      worker.onmessage = (e) => {
        worker.terminate();
        if ("error" in e.data) reject(new Error(e.data.error));
        else resolve(e.data);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        worker.terminate();
        reject(new Error(e.message));
      };
      const task: CrossTask = {
        backend,
        handle: pages.handle,
        rings,
        index,
        workers,
        rounds,
      };
      worker.postMessage(task);
    })
  );
  // Start them together, once all are waiting.
  await new Promise((r) => setTimeout(r, 200));
  const flag = new Int32Array(rings, 0, 2 * workers + 1);
  Atomics.store(flag, 2 * workers, 1);
  Atomics.notify(flag, 2 * workers);
  const done = await Promise.all(results);
  const wall = Math.max(...done.map((r) => r.end)) -
    Math.min(...done.map((r) => r.start));
  const ops = done.reduce((n, r) => n + r.ops, 0);
  return {
    backend,
    workers,
    nsPerOp: wall * 1e6 / (ops / workers),
    opsPerUs: ops / (wall * 1000),
  };
}

/**
 * Runs the workload: each backend at each worker count, `runs` times, the
 * median kept.
 */
export async function crossWorker(
  options: { workers?: number[]; rounds?: number; runs?: number } = {},
): Promise<CrossRow[]> {
  const { workers = [1, 2, 4], rounds = 4000, runs = 3 } = options;
  const rows: CrossRow[] = [];
  for (const n of workers) {
    for (const backend of ["heap", "malloc"] as const) {
      const tries: CrossRow[] = [];
      for (let i = 0; i < runs; i++) {
        tries.push(await runOnce(backend, n, rounds));
      }
      tries.sort((a, b) => a.nsPerOp - b.nsPerOp);
      rows.push(tries[tries.length >> 1]);
    }
  }
  return rows;
}

/** The columns of {@linkcode crossWorkerTable}. */
export const CROSS_HEAD = [
  "workers",
  "backend",
  "ns/op per worker",
  "ops/µs",
  "scaling",
  "heap ÷ malloc",
];

/** What each column of {@linkcode crossWorkerTable} means, in its order. */
export const CROSS_LEGEND = [
  "workers: how many workers ran at once, each with its own heap (or malloc's arena).",
  "backend: heap (a WorkerHeap per worker, all on one SharedPages) or malloc (libc through FFI).",
  "ns/op per worker: lower is better; wall time from the first worker's start to the last one's end ÷ one worker's operations (an alloc or a free, 0x50 written over each block).",
  "ops/µs: higher is better; all workers' operations per microsecond of that wall time.",
  "scaling: ops/µs ÷ the same backend's at 1 worker; N× at N workers would be perfect, below 1.00× the workers slow each other down.",
  "heap ÷ malloc: heap's ns/op ÷ malloc's at the same worker count; below 1 the heap is faster.",
];

/**
 * The rows as a table (ns/op, throughput, scaling against one worker, heap
 * against malloc) under a title line, with a line per column saying what it
 * means.
 */
export function crossWorkerTable(rows: CrossRow[]): string {
  const cells = rows.map((row) => {
    const one = rows.find((r) => r.backend === row.backend && r.workers === 1);
    const malloc = rows.find((r) =>
      r.backend === "malloc" && r.workers === row.workers
    );
    return [
      row.workers,
      row.backend,
      row.nsPerOp.toFixed(1),
      row.opsPerUs.toFixed(1),
      one ? `${(row.opsPerUs / one.opsPerUs).toFixed(2)}×` : "",
      row.backend === "heap" && malloc
        ? (row.nsPerOp / malloc.nsPerOp).toFixed(2)
        : "",
    ];
  });
  return [
    `cross-worker — rounds of ${BATCH} allocations (16–256 B), half freed by the next worker`,
    "",
    plainTable(CROSS_HEAD, cells, [1]),
    "",
    ...CROSS_LEGEND,
  ].join("\n");
}

/**
 * The most workers a run takes: each is a thread with its own isolate, and
 * past the machine's cores more only measure the scheduler.
 */
export const MAX_WORKERS = 64;
/**
 * The most rounds a run takes: each passes BATCH / 2 blocks through a ring
 * whose counters are 32-bit (and 10^6 rounds already take minutes).
 */
export const MAX_ROUNDS = 1_000_000;
/** The most runs (a median of them is kept). */
export const MAX_RUNS = 100;

/** The `--help` text. */
export const HELP = `\
deno task bench:workers [options]   (deno run --allow-ffi --allow-read=. bench/cross_worker.ts)

The cross-worker workload: N workers each allocate, pass half of their blocks
to the next worker, which frees them, on heap (a WorkerHeap per worker on one
SharedPages) and malloc (libc through FFI in every worker).

  --workers N,M  worker counts, each from 1 to ${MAX_WORKERS} (default: 1,2,4)
  --rounds N     rounds of ${BATCH} allocations per worker, from 1 to ${MAX_ROUNDS}
                 (default: 4000)
  --runs N       runs of each, the median kept, from 1 to ${MAX_RUNS} (default: 3)
  -h, --help     print this and exit`;

/** The options of the cross-worker workload, parsed from the command line. */
export interface CrossWorkerOptions {
  /** Worker counts, in order. */
  workers: number[];
  /** Rounds per worker. */
  rounds: number;
  /** Runs of each backend at each worker count. */
  runs: number;
  /** Print {@linkcode HELP} and nothing else. */
  help: boolean;
}

/**
 * Parses the command line (`strictArgs`).
 *
 * @example
 * ```ts
 * import { parseCrossWorkerOptions } from "./cross_worker.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCrossWorkerOptions(["--workers=1,2", "--rounds=20"]), {
 *   workers: [1, 2],
 *   rounds: 20,
 *   runs: 3,
 *   help: false,
 * });
 * assert.throws(() => parseCrossWorkerOptions(["--workers=0"]), TypeError);
 * ```
 *
 * @param args The arguments.
 * @returns The options; throws a TypeError naming a bad one.
 */
export function parseCrossWorkerOptions(args: string[]): CrossWorkerOptions {
  const values = strictArgs(args, {
    workers: { type: "string", default: "1,2,4" },
    rounds: { type: "string", default: "4000" },
    runs: { type: "string", default: "3" },
    help: { type: "boolean", short: "h", default: false },
  });
  return {
    workers: values.workers.split(",").map((n) =>
      integerArg("--workers", n.trim(), 1, MAX_WORKERS)
    ),
    rounds: integerArg("--rounds", values.rounds, 1, MAX_ROUNDS),
    runs: integerArg("--runs", values.runs, 1, MAX_RUNS),
    help: values.help,
  };
}

if (import.meta.main) {
  await main(parseCrossWorkerOptions, HELP, async (options) => {
    console.log(crossWorkerTable(await crossWorker(options)));
  });
}
