/**
 * The workload report (`deno task bench`): the ten workloads of
 * `docs/design.md` (benchmark workloads) on every backend, one table per
 * workload.
 *
 * ```
 * deno run --allow-ffi --allow-run bench/report.ts [options]
 *   --workload=a,b   only these workloads (default: all ten)
 *   --backend=x,y    only these backends (heap, heap-buffer, malloc, gc, thi.ng)
 *   --runs=N         run each N times and report medians (default 1)
 *   --budget=S       seconds per workload, backend and run before it is cut
 *                    off (default 10)
 *   --json           print one JSON array of rows on stdout, nothing else
 *   --in-process     run everything in this process (needs --allow-env=NODE_ENV for thi.ng, not --allow-run;
 *                    backends then share one JIT and one garbage collector)
 * ```
 *
 * Each run of a (workload, backend) is a fresh process by default, so that
 * one backend's garbage and JIT feedback never weigh on another's timings.
 * Progress goes to stderr.
 *
 * @module
 */
import {
  BACKEND_NAMES,
  type BackendName,
  makeBackend,
} from "./backends/mod.ts";
import { formatTable, mergeRuns, type Row } from "./_table.ts";
import {
  type PhaseResult,
  runWorkload,
  type Workload,
  WORKLOADS,
} from "./workloads.ts";

/** The options of the report, parsed from the command line. */
export interface ReportOptions {
  /** Workloads to run. */
  workloads: Workload[];
  /** Backends to run. */
  backends: BackendName[];
  /** Runs per (workload, backend). */
  runs: number;
  /** Milliseconds per run before it is cut off. */
  budgetMs: number;
  /** JSON on stdout instead of tables. */
  json: boolean;
  /** Run in this process instead of a child per run. */
  inProcess: boolean;
  /** Internal: this process is a child running one (workload, backend). */
  child: boolean;
}

/**
 * Parses the command line.
 *
 * @param args The arguments.
 * @returns The options; throws a TypeError for a bad one.
 */
export function parseArgs(args: string[]): ReportOptions {
  const options: ReportOptions = {
    workloads: [...WORKLOADS],
    backends: [...BACKEND_NAMES],
    runs: 1,
    budgetMs: 10_000,
    json: false,
    inProcess: false,
    child: false,
  };
  for (const arg of args) {
    const [key, value] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, ""];
    const list = () => value.split(",").map((s) => s.trim()).filter((s) => s);
    switch (key) {
      case "--workload":
        options.workloads = list().map((name) => {
          const w = WORKLOADS.find((w) => w.name === name);
          if (!w) {
            throw new TypeError(
              `Unknown workload "${name}"; known: ${
                WORKLOADS.map((w) => w.name).join(", ")
              }`,
            );
          }
          return w;
        });
        break;
      case "--backend":
        options.backends = list().map((name) => {
          if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
            throw new TypeError(
              `Unknown backend "${name}"; known: ${BACKEND_NAMES.join(", ")}`,
            );
          }
          return name as BackendName;
        });
        break;
      case "--runs":
        options.runs = positive(key, value);
        break;
      case "--budget":
        options.budgetMs = positive(key, value) * 1000;
        break;
      case "--json":
        options.json = true;
        break;
      case "--in-process":
        options.inProcess = true;
        break;
      case "--child":
        options.child = true;
        break;
      default:
        throw new TypeError(
          `Unknown option "${arg}"; see the comment at the top of bench/report.ts`,
        );
    }
  }
  return options;
}

function positive(key: string, value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new TypeError(`${key} needs a positive number, got "${value}"`);
  }
  return n;
}

// Untimed warm-up runs before the measured one, and the longest each may take
// in milliseconds.
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
  // Warm-up: the same workload twice on throwaway instances, untimed, so the
  // measured run executes optimised code from its first operation (a C
  // allocator has no interpreter phase to hide). Twice, because V8 throws
  // optimised code away when objects it embedded die, and re-optimises.
  // No forced GC after it: that would throw the code away once more.
  for (let i = 0; i < WARMUPS; i++) {
    runWorkload(workload, await makeBackend(backend, workload), {
      budgetMs: Math.min(budgetMs / 8, WARMUP_MS),
    });
  }
  const instance = await makeBackend(backend, workload);
  return runWorkload(workload, instance, {
    budgetMs,
    onPhase: showProgress
      ? (phase, r) =>
        progress(
          r
            ? `${r.nsPerOp === null ? "?" : r.nsPerOp.toFixed(1)}${
              r.cutOff ? "* (cut off)" : ""
            } ns/op  `
            : `${phase} `,
        )
      : undefined,
  });
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
 * Runs the report and returns its rows (medians over the runs).
 *
 * @param options What to run.
 * @returns Every row, workload by workload.
 */
export async function report(options: ReportOptions): Promise<Row[]> {
  const rows: Row[] = [];
  const total = options.workloads.length * options.backends.length;
  let done = 0;
  const started = performance.now();
  for (const workload of options.workloads) {
    const workloadRows: Row[] = [];
    for (const backend of options.backends) {
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
          progress(`error: ${error}`);
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
      const w = workload;
      console.log(
        `\n${w.name} — ${w.kind}, sizes ${
          w.kind === "grow"
            ? "16 doubling to " + w.hi
            : w.lo === w.hi
            ? w.lo
            : `${w.shape} ${w.lo}..${w.hi}`
        }, ${w.slots} slots${w.ops ? `, ${w.ops} ops` : ""}${
          options.runs > 1 ? `, median of ${options.runs} runs` : ""
        }\n`,
      );
      console.log(formatTable(workloadRows));
    }
  }
  progress(
    `done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  if (!options.json && rows.some((r) => r.cutOff)) {
    console.log(
      `\n* cut off after the time budget of ${
        options.budgetMs / 1000
      } s per run: the ns/op it had reached; "cut off" phases never ran.`,
    );
  }
  return rows;
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
 * reserved, cutOff}`, null where unknown.
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
  let options: ReportOptions;
  try {
    options = parseArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  if (options.child) {
    const results = await runOnce(
      options.workloads[0],
      options.backends[0],
      options.budgetMs,
    );
    console.log(JSON.stringify(results));
  } else {
    const rows = await report(options);
    if (options.json) console.log(toJson(rows));
  }
}
