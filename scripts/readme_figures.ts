/**
 * Regenerates the README's benchmark figures ("Results on this machine")
 * from the commands the README prints beside them, and prints them as
 * Markdown to paste, each with the command and a machine/date stamp:
 *
 * - the workload table: one run of
 *   `deno task bench --backend=heap,heap-unsafe,malloc,gc --runs=3
 *   --workers=none --json` (heap, heap-unsafe and malloc ns/op and the
 *   heaps' ratios to malloc per phase; the `released` reserved bytes;
 *   whether the heap beats gc on every churn phase);
 * - the cross-worker table: `deno task bench:workers`, run `--runs N` times
 *   (default 3): the medians of the runs, and the range of heap ÷ malloc at
 *   each worker count over the runs.
 *
 * `deno run --allow-run --allow-read --allow-sys scripts/readme_figures.ts
 * [--runs N] [--skip-workloads] [--skip-workers]`; progress on stderr.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cpus } from "node:os";

/** One row of `deno task bench --json`. */
interface BenchRow {
  workload: string;
  phase: string;
  backend: string;
  nsPerOp: number | null;
  reserved: number | null;
  cutOff: boolean;
}

/** The cross-worker table as `deno task bench:workers` printed it. */
export interface WorkerTable {
  /** The column names, from the table's head line. */
  head: string[];
  /** The rows, in the order printed. */
  rows: WorkerRow[];
}

/** One row of the cross-worker table. */
export interface WorkerRow {
  workers: number;
  backend: string;
  nsPerOp: number;
  opsPerUs: number;
  scaling: number;
}

/** The command of the workload table, as the README prints it. */
export const WORKLOAD_COMMAND =
  "deno task bench --backend=heap,heap-unsafe,malloc,gc --runs=3 --workers=none --json";
/** The command of the cross-worker table. */
export const WORKERS_COMMAND = "deno task bench:workers";

// Phases of the workload table: the timed loops; drained and released are
// shown in the report's own sections.
const SKIPPED_PHASES = new Set(["drained", "released"]);

/**
 * The head and rows of `deno task bench:workers`' table, parsed from its
 * output. The column names come from the output itself (this script only runs
 * the bench's commands; it imports nothing of the bench, whose npm packages
 * are the bench's own).
 */
export function parseWorkerTable(text: string): WorkerTable {
  const head = text.match(/^\s*workers {2,}backend {2,}.*$/m);
  if (head === null) {
    throw new Error(
      `No table head (a line "workers  backend  …") in the output of ${WORKERS_COMMAND}:\n${text}`,
    );
  }
  const rows = [
    ...text.matchAll(
      /^\s*(\d+)\s+(heap|malloc)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)×/gm,
    ),
  ].map((m) => ({
    workers: Number(m[1]),
    backend: m[2],
    nsPerOp: Number(m[3]),
    opsPerUs: Number(m[4]),
    scaling: Number(m[5]),
  }));
  return { head: head[0].trim().split(/ {2,}/), rows };
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A Markdown table with right-aligned numeric columns. */
export function markdownTable(
  head: string[],
  rows: string[][],
  numeric: boolean[],
): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, 3, ...rows.map((r) => r[i].length))
  );
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) =>
        numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])
      )
        .join(" | ")
    } |`;
  const rule = `| ${
    widths.map((w, i) => numeric[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w))
      .join(" | ")
  } |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

/** The stamp printed under each table: command, machine, runtime, date. */
export function stamp(command: string): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  return `\`${command}\` on ${navigator.hardwareConcurrency} cores of ${model} (${Deno.build.os} ${Deno.build.arch}), Deno ${Deno.version.deno}, ${date} UTC`;
}

async function deno(args: string[]): Promise<string> {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new Error(`deno ${args.join(" ")} exited ${code}`);
  return new TextDecoder().decode(stdout);
}

const fixed = (x: number) => x.toFixed(x >= 10000 ? 0 : 1);
const mib = (bytes: number) =>
  bytes < 2 ** 20
    ? `${(bytes / 1024).toFixed(0)} KiB`
    : `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** The workload table and its notes, from one `--json` run. */
export function workloadFigures(rows: BenchRow[], stamped: string): string {
  const find = (w: string, p: string, b: string) =>
    rows.find((r) => r.workload === w && r.phase === p && r.backend === b);
  const cells: string[][] = [];
  for (const r of rows) {
    if (r.backend !== "heap" || SKIPPED_PHASES.has(r.phase)) continue;
    const malloc = find(r.workload, r.phase, "malloc");
    if (r.nsPerOp === null || !malloc?.nsPerOp) continue;
    const unsafe = find(r.workload, r.phase, "heap-unsafe");
    const ns = (x: BenchRow | undefined) =>
      x?.nsPerOp ? fixed(x.nsPerOp) + (x.cutOff ? "*" : "") : "?";
    const ratio = (x: BenchRow | undefined) =>
      x?.nsPerOp ? (x.nsPerOp / malloc.nsPerOp!).toFixed(2) : "?";
    cells.push([
      r.workload,
      r.phase,
      ns(r),
      ns(unsafe),
      ns(malloc),
      ratio(r),
      ratio(unsafe),
    ]);
  }
  const table = markdownTable(
    [
      "workload",
      "phase",
      "heap",
      "heap-unsafe",
      "malloc",
      "heap ÷ malloc",
      "heap-unsafe ÷ malloc",
    ],
    cells,
    [false, false, true, true, true, true, true],
  );
  const reservedAfter = (backend: string) =>
    rows.filter((r) => r.phase === "released" && r.backend === backend)
      .map((r) => r.reserved).filter((x): x is number => x !== null);
  const range = (xs: number[]) =>
    xs.length === 0 ? "?" : `${mib(Math.min(...xs))}–${mib(Math.max(...xs))}`;
  const churn = rows.filter((r) => r.phase === "churn" && r.backend === "heap");
  const beatsGc = churn.map((r) => {
    const gc = find(r.workload, "churn", "gc");
    return `${r.workload} ${
      r.nsPerOp !== null && gc?.nsPerOp
        ? (r.nsPerOp / gc.nsPerOp).toFixed(2)
        : "?"
    }`;
  });
  return [
    table,
    "",
    `(${stamped}; medians of three runs, ns/op.)`,
    "",
    `released, reserved: heap ${range(reservedAfter("heap"))}, malloc ${
      range(reservedAfter("malloc"))
    }.`,
    `churn, heap ÷ gc: ${beatsGc.join(", ")}.`,
  ].join("\n");
}

/** The cross-worker table (medians) and the ranges over the runs. */
export function workerFigures(runs: WorkerTable[], stamped: string): string {
  const keys = runs[0].rows.map((r) => [r.workers, r.backend] as const);
  const pick = (workers: number, backend: string) =>
    runs.map((run) =>
      run.rows.find((r) => r.workers === workers && r.backend === backend)!
    );
  const ratios = (workers: number) => {
    const heap = pick(workers, "heap"), malloc = pick(workers, "malloc");
    return heap.map((h, i) => h.nsPerOp / malloc[i].nsPerOp);
  };
  const cells = keys.map(([workers, backend]) => {
    const rows = pick(workers, backend);
    const r = ratios(workers);
    return [
      String(workers),
      backend,
      fixed(median(rows.map((x) => x.nsPerOp))),
      median(rows.map((x) => x.opsPerUs)).toFixed(1),
      `${median(rows.map((x) => x.scaling)).toFixed(2)}×`,
      backend === "heap"
        ? `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}`
        : "",
    ];
  });
  return [
    markdownTable(
      runs[0].head,
      cells,
      [true, false, true, true, true, true],
    ),
    "",
    `(${stamped}; ${runs.length} runs: the medians, and heap ÷ malloc as the range over the runs.)`,
  ].join("\n");
}

/** The command line: how many cross-worker runs, and which tables. */
function commandLine(args: string[]) {
  const flags = parseArgs({
    args,
    options: {
      runs: { type: "string", default: "3" },
      "skip-workloads": { type: "boolean", default: false },
      "skip-workers": { type: "boolean", default: false },
    },
  }).values;
  const runs = Number(flags.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new RangeError(`--runs is ${flags.runs}: give a whole number ≥ 1`);
  }
  return {
    runs,
    workloads: !flags["skip-workloads"],
    workers: !flags["skip-workers"],
  };
}

if (import.meta.main) {
  const { runs, workloads, workers } = commandLine(Deno.args);
  if (workloads) {
    console.error(`figures: ${WORKLOAD_COMMAND}`);
    const json = await deno(WORKLOAD_COMMAND.split(" ").slice(1));
    console.log(
      workloadFigures(JSON.parse(json) as BenchRow[], stamp(WORKLOAD_COMMAND)),
    );
    console.log();
  }
  if (workers) {
    const results: WorkerTable[] = [];
    for (let i = 1; i <= runs; i++) {
      console.error(`figures: ${WORKERS_COMMAND} (run ${i} of ${runs})`);
      results.push(
        parseWorkerTable(await deno(WORKERS_COMMAND.split(" ").slice(1))),
      );
    }
    console.log(
      workerFigures(results, stamp(`${WORKERS_COMMAND}, ${runs} runs`)),
    );
  }
}
