/**
 * The workload report (`deno task bench`): the ten workloads of
 * `docs/design.md` (benchmark workloads) on every backend, one table per
 * workload. `deno task bench --help` lists the options ({@linkcode HELP}).
 *
 * Each run of a (workload, backend) is a fresh process by default, so that
 * one backend's garbage and JIT feedback never weigh on another's timings.
 * Progress goes to stderr.
 *
 * @module
 */
import {
  crossWorker,
  crossWorkerTable,
  MAX_RUNS,
  MAX_WORKERS,
} from "./cross_worker.ts";
import { integerArg, main, strictArgs } from "./_cli.ts";
import {
  BACKEND_NAMES,
  type BackendName,
  makeBackend,
} from "./backends/mod.ts";
import { duration, formatTable, mergeRuns, type Row } from "./_table.ts";
import { phaseChart } from "./_phase_chart.ts";
import {
  ONE_CALL_PHASES,
  type Phase,
  type PhaseResult,
  runWorkload,
  type Workload,
  WORKLOADS,
} from "./workloads.ts";

/**
 * The workloads thi.ng runs on unless `--backend` names it. Its `MemPool`
 * searches its list of used blocks on every free and realloc and then walks
 * its whole free list, so a free costs O(blocks): here only `large` (1024
 * slots) and `ramp_lifo` (the newest block, the one freed, is first in that
 * list) finish within a short budget of 2 s, warm-ups included; each other
 * workload needs minutes.
 */
export const THING_WORKLOADS: readonly string[] = ["large", "ramp_lifo"];

/** The `--help` text. */
export const HELP = `\
deno task bench [options]   (deno run --allow-ffi --allow-run --allow-read=. bench/report.ts)

The ten allocation workloads of docs/design.md on each backend, one table per
workload; progress on stderr.

  --workload a,b  only these workloads (default: all)
  --backend x,y   only these backends (default: all, thi.ng only on
                  ${THING_WORKLOADS.join(" and ")})
  --runs N        run each N times and report medians, N from 1 to ${MAX_RUNS}
                  (default: 1)
  --budget S      seconds per workload, backend and run before it is cut off
                  (default: 10)
  --json          print one JSON array of rows (raw numbers) on stdout and
                  nothing else
  --chart FILE    also write an SVG chart of every phase's ns/op (log scale;
                  ${ONE_CALL_PHASES.join(", ")}, one call, only in the tables)
  --workers N,M   worker counts of the cross-worker workload run at the end
                  (each from 1 to ${MAX_WORKERS}; default: 1,2,4; "none" skips it)
  --in-process    run everything in this process (the backends then share one
                  JIT and one garbage collector)
  -h, --help      print this and exit

Values go as --runs 3 or --runs=3; lists are comma-separated or repeated
(--backend heap --backend malloc).

workloads: ${WORKLOADS.map((w) => w.name).join(", ")}
backends:  ${BACKEND_NAMES.join(", ")}

thi.ng's MemPool walks its block lists on every free (O(blocks)): by default
it runs only where its whole run finishes within 2 s; name it in --backend to
run it on every workload (minutes each, cut off after --budget).`;

/** One workload and the backends to run on it. */
export interface PlanItem {
  /** The workload. */
  workload: Workload;
  /** Its backends, in the report's order. */
  backends: BackendName[];
}

/** The options of the report, parsed from the command line. */
export interface ReportOptions {
  /** What to run, workload by workload. */
  plan: PlanItem[];
  /** Runs per (workload, backend). */
  runs: number;
  /** Milliseconds per run before it is cut off. */
  budgetMs: number;
  /** JSON on stdout instead of tables. */
  json: boolean;
  /** Where to write the SVG chart, if anywhere. */
  chart: string | undefined;
  /** Run in this process instead of a child per run. */
  inProcess: boolean;
  /** Worker counts of the cross-worker workload; empty to skip it. */
  workers: number[];
  /** Internal: this process is a child running one (workload, backend). */
  child: boolean;
  /** Print {@linkcode HELP} and nothing else. */
  help: boolean;
  /** Whether the default backends left thi.ng out of some workload. */
  thingLeftOut: boolean;
}

/**
 * Parses the command line (`strictArgs`).
 *
 * @param args The arguments.
 * @returns The options; throws a TypeError naming a bad one.
 */
export function parseOptions(args: string[]): ReportOptions {
  const values = strictArgs(args, {
    workload: { type: "string", multiple: true },
    backend: { type: "string", multiple: true },
    runs: { type: "string", default: "1" },
    budget: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    chart: { type: "string" },
    workers: { type: "string", default: "1,2,4" },
    "in-process": { type: "boolean", default: false },
    child: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  const workloads = values.workload
    ? pick("workload", values.workload, WORKLOADS.map((w) => w.name))
      .map((name) => WORKLOADS.find((w) => w.name === name)!)
    : WORKLOADS;
  const backends = values.backend
    ? pick("backend", values.backend, BACKEND_NAMES) as BackendName[]
    : null;
  const plan = workloads.map((workload) => ({
    workload,
    backends: backends ??
      BACKEND_NAMES.filter((b) =>
        b !== "thi.ng" || THING_WORKLOADS.includes(workload.name)
      ),
  }));
  return {
    plan,
    runs: integerArg("--runs", values.runs, 1, MAX_RUNS),
    budgetMs: seconds("budget", values.budget) * 1000,
    json: values.json,
    chart: values.chart,
    workers: values.workers === "none"
      ? []
      : values.workers.split(",").map((n) =>
        integerArg("--workers", n.trim(), 1, MAX_WORKERS)
      ),
    inProcess: values["in-process"],
    child: values.child,
    help: values.help,
    thingLeftOut: plan.some((p) => !p.backends.includes("thi.ng")) &&
      backends === null,
  };
}

// The names of a list option (comma-separated, or the option repeated),
// each checked against the known ones.
function pick(
  option: string,
  given: string[],
  known: readonly string[],
): string[] {
  const names = given.flatMap((v) => v.split(",")).map((s) => s.trim())
    .filter((s) => s);
  for (const name of names) {
    if (!known.includes(name)) {
      throw new TypeError(
        `Unknown ${option} "${name}"; known: ${known.join(", ")}`,
      );
    }
  }
  if (names.length === 0) {
    throw new TypeError(`--${option} needs at least one name`);
  }
  return names;
}

// A positive number of seconds (integerArg is for the integer options).
function seconds(option: string, value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new TypeError(
      `--${option} needs a positive number, got "${value}" (see --help)`,
    );
  }
  return n;
}

// Two untimed warm-up runs of the whole workload, each at most this long.
// Runs on an eighth of it left the heap's code still being compiled into the
// measured run: its fixed_16 fill took 124 ns/op in a fresh process against
// 26 after full-size warm-ups (malloc: 60 and 51), and fixed_512's churn 133
// against 82 (malloc: 104 and 89).
const WARMUPS = 2;
const WARMUP_MS = 1000;

const encoder = new TextEncoder();
function progress(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * One run of one workload on one backend, in this process.
 *
 * @returns The phases.
 */
export async function runOnce(
  workload: Workload,
  backend: BackendName,
  budgetMs: number,
  showProgress = true,
): Promise<PhaseResult[]> {
  // Warm-up: so that the measured run executes optimised code from its first
  // operation (a C allocator has no interpreter phase to hide). Twice,
  // because V8 throws optimised code away when objects it embedded die, and
  // re-optimises. No forced GC after it: that would throw the code away once
  // more.
  for (let i = 0; i < WARMUPS; i++) {
    runWorkload(workload, await makeBackend(backend, workload), {
      budgetMs: Math.min(budgetMs / 8, WARMUP_MS),
      release: false,
    });
  }
  const instance = await makeBackend(backend, workload);
  return runWorkload(workload, instance, {
    budgetMs,
    onPhase: showProgress
      ? (phase, r) => progress(phaseProgress(phase, r))
      : undefined,
  });
}

// A phase's name as it starts, and its time as it ends.
function phaseProgress(phase: Phase, r?: PhaseResult): string {
  if (!r) return `${phase} `;
  const cut = r.cutOff ? "* (cut off)" : "";
  if (r.nsPerOp === null) return `?${cut}  `;
  if (ONE_CALL_PHASES.includes(phase)) return `${duration(r.nsPerOp)}${cut}  `;
  return `${r.nsPerOp.toFixed(1)}${cut} ns/op  `;
}

// One run in a fresh process: this script with --child; phases come back as
// JSON on its stdout, its progress goes straight to our stderr.
async function runChild(
  workload: Workload,
  backend: BackendName,
  budgetMs: number,
): Promise<PhaseResult[]> {
  const script = new URL(import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      // @thi.ng/malloc's assertions read NODE_ENV.
      "--allow-env=NODE_ENV",
      script,
      "--child",
      `--workload=${workload.name}`,
      `--backend=${backend}`,
      `--budget=${budgetMs / 1000}`,
    ],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) {
    throw new Error(`child process failed (exit code ${output.code})`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/**
 * Runs the report and returns its rows (medians over the runs); prints the
 * tables unless `json`.
 *
 * @param options What to run.
 * @returns Every row, workload by workload.
 */
export async function report(options: ReportOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const total = options.plan.reduce((n, p) => n + p.backends.length, 0);
  let done = 0;
  const started = performance.now();
  for (const { workload, backends } of options.plan) {
    const workloadRows: Row[] = [];
    for (const backend of backends) {
      done++;
      const runs: PhaseResult[][] = [];
      let error: string | undefined;
      for (let run = 1; run <= options.runs; run++) {
        progress(
          `[${done}/${total}] ${workload.name} × ${backend}` +
            (options.runs > 1 ? ` run ${run}/${options.runs}` : "") + ": ",
        );
        const t = performance.now();
        try {
          runs.push(
            options.inProcess
              ? await runOnce(workload, backend, options.budgetMs)
              : await runChild(workload, backend, options.budgetMs),
          );
        } catch (e) {
          error = e instanceof Error ? e.message : String(e);
          progress(`error: ${error} `);
        }
        progress(`(${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
        // A cut-off backend would be cut off again: do not spend the budget
        // on it N times.
        if (error || runs.at(-1)?.some((r) => r.cutOff)) break;
      }
      const merged = runs.length
        ? mergeRuns(workload.name, backend, runs)
        : [errorRow(workload.name, backend, error ?? "no run")];
      if (error && runs.length) { for (const r of merged) r.error = error; }
      workloadRows.push(...merged);
    }
    rows.push(...workloadRows);
    if (!options.json) {
      console.log(`\n${describe(workload, options.runs)}\n`);
      console.log(formatTable(workloadRows));
    }
  }
  progress(
    `done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (!options.json) console.log(legend(options, rows));
  return rows;
}

function describe(w: Workload, runs: number): string {
  const sizes = w.kind === "grow"
    ? `16 doubling to ${w.hi}`
    : w.shape === "fixed"
    ? `${w.lo}`
    : `${w.shape} ${w.lo}..${w.hi}`;
  return `${w.name} — ${w.kind}, sizes ${sizes}, ${w.slots} slots${
    w.ops ? `, ${w.ops} ops` : ""
  }${runs > 1 ? `, median of ${runs} runs` : ""}`;
}

/**
 * The lines under the tables: one per column, saying what it means and which
 * way is better, then the marks that some rows carry.
 *
 * @param options What ran.
 * @param rows Every row.
 * @returns The text, starting with an empty line.
 */
export function legend(options: ReportOptions, rows: Row[]): string {
  const lines = [
    "",
    "ns/op: lower is better; wall time of the phase ÷ its operations, 0x50 writes and size draws included.",
    "req: live requested bytes. used: bytes the backend says its live blocks occupy. reserved: bytes it holds from the system (README).",
    "util: higher is better; req ÷ reserved.",
    "ns/best, reserved/best: lower is better; ns/op and reserved ÷ the phase's best backend (1.00: the best).",
    `time: lower is better; the one call of ${
      ONE_CALL_PHASES.join(", ")
    } (giving back what the backend can once everything is freed), in µs or ms. time/best: time ÷ the best.`,
    "?: the backend cannot say. –: nothing is live (or the phase was cut off), no ratio.",
  ];
  if (rows.some((r) => r.backend === "heap-unsafe")) {
    lines.push(
      "heap-unsafe: the heap allocating with allocUnsafe (old bytes may remain, and the 0x50 write covers every one); " +
        "heap and heap-buffer zero every block first, as alloc does (a resize zeroes what it grows in every heap backend).",
    );
  }
  if (options.thingLeftOut) {
    lines.push(
      `thi.ng: only on ${THING_WORKLOADS.join(" and ")}, the workloads its ` +
        "O(blocks) free finishes within 2 s (see --help).",
    );
  }
  if (rows.some((r) => r.cutOff)) {
    lines.push(
      `*: cut off after the time budget of ${options.budgetMs / 1000} s per ` +
        'run, the ns/op it had reached; "cut off" phases never ran.',
    );
  }
  return lines.join("\n");
}

function errorRow(workload: string, backend: string, error: string): Row {
  return {
    workload,
    phase: "fill",
    backend,
    nsPerOp: null,
    req: null,
    used: null,
    reserved: null,
    cutOff: false,
    error,
  };
}

/**
 * The JSON form of the rows: `{workload, phase, backend, nsPerOp, req, used,
 * reserved, cutOff}` with raw numbers (bytes, nanoseconds), null where
 * unknown.
 *
 * @param rows The rows.
 * @returns The JSON text (one array).
 */
export function toJson(rows: Row[]): string {
  return JSON.stringify(
    rows.map((r) => ({
      workload: r.workload,
      phase: r.phase,
      backend: r.backend,
      nsPerOp: r.nsPerOp,
      req: r.req,
      used: r.used,
      reserved: r.reserved,
      cutOff: r.cutOff,
      ...(r.error ? { error: r.error } : {}),
    })),
    null,
    2,
  );
}

if (import.meta.main) {
  await main(parseOptions, HELP, async (options) => {
    if (options.child) {
      const { workload, backends } = options.plan[0];
      const results = await runOnce(workload, backends[0], options.budgetMs);
      console.log(JSON.stringify(results));
      return;
    }
    // Before the report, which can take many minutes: a chart path that
    // cannot be written is refused now, not after.
    if (options.chart) {
      try {
        await Deno.writeTextFile(options.chart, "");
      } catch (e) {
        console.error(
          `Cannot write the chart to ${options.chart}: ${
            (e as Error).message
          }; give a file in a folder that exists`,
        );
        Deno.exit(2);
      }
    }
    const rows = await report(options);
    if (options.json) console.log(toJson(rows));
    // A backend that failed fails the run, after the rest is shown.
    if (rows.some((r) => r.error)) Deno.exitCode = 1;
    if (options.chart) {
      const runs = options.runs > 1
        ? `medians of ${options.runs} runs`
        : "one run";
      await Deno.writeTextFile(
        options.chart,
        await phaseChart(
          rows,
          `Deno ${Deno.version.deno}, ${runs}; hollow: cut off at the time ` +
            "budget, drawn at the ns/op it had reached",
        ),
      );
      progress(`chart: ${options.chart}\n`);
    }
    if (options.workers.length > 0 && !options.json) {
      progress("cross-worker workload\n");
      const cross = await crossWorker({
        workers: options.workers,
        runs: options.runs,
      });
      // An empty line after the legend above.
      console.log(`\n${crossWorkerTable(cross)}`);
    }
  });
}
