// Formatting of the report: the tables of each workload, and medians.
import Table from "cli-table3";
import prettyBytes from "pretty-bytes";
import { ONE_CALL_PHASES, type Phase, type PhaseResult } from "./workloads.ts";

/** One row of the report: a phase of a workload on a backend. */
export interface Row {
  workload: string;
  phase: Phase;
  backend: string;
  nsPerOp: number | null;
  req: number | null;
  used: number | null;
  reserved: number | null;
  cutOff: boolean;
  /** Set when the run failed; the message. */
  error?: string;
}

/** The median of the non-null numbers, or null if there are none. */
export function median(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Rows for one (workload, backend) from several runs: the median of each
 * figure per phase; cut off if any run was.
 */
export function mergeRuns(
  workload: string,
  backend: string,
  runs: PhaseResult[][],
): Row[] {
  const phases: Phase[] = [];
  for (const run of runs) {
    for (const r of run) if (!phases.includes(r.phase)) phases.push(r.phase);
  }
  return phases.map((phase) => {
    const of = runs.map((run) => run.find((r) => r.phase === phase));
    const pick = (k: "nsPerOp" | "req" | "used" | "reserved") =>
      median(of.map((r) => r?.[k] ?? null));
    return {
      workload,
      phase,
      backend,
      nsPerOp: pick("nsPerOp"),
      req: pick("req"),
      used: pick("used"),
      reserved: pick("reserved"),
      cutOff: of.some((r) => r?.cutOff ?? false),
    };
  });
}

/** The columns of {@linkcode formatTable}'s table of per-operation phases. */
export const HEAD = [
  "phase",
  "backend",
  "ns/op",
  "req",
  "used",
  "reserved",
  "util",
  "ns/best",
  "reserved/best",
];

/** The columns of its section of one-call phases ({@linkcode ONE_CALL_PHASES}). */
export const ONE_CALL_HEAD = [
  "phase",
  "backend",
  "time",
  "reserved",
  "time/best",
];

// No borders: columns two spaces apart, as plain text that diffs well.
const PLAIN = Object.fromEntries(
  [
    "top",
    "top-mid",
    "top-left",
    "top-right",
    "bottom",
    "bottom-mid",
    "bottom-left",
    "bottom-right",
    "left",
    "left-mid",
    "mid",
    "mid-mid",
    "right",
    "right-mid",
  ].map((k) => [k, ""]),
);

/**
 * A borderless, colourless table: columns two spaces apart, those in
 * `left` left-aligned and the rest right-aligned, no trailing spaces. No colour whatever the terminal or the environment says, so that
 * the text is the same in a pipe, a file and a test.
 *
 * @param head The column names.
 * @param rows The cells.
 * @param left The indexes of the left-aligned columns.
 * @returns The text, one line per row after the head.
 */
export function plainTable(
  head: string[],
  rows: (string | number)[][],
  left: readonly number[] = [0, 1],
): string {
  const table = new Table({
    head,
    chars: { ...PLAIN, middle: "  " },
    colAligns: head.map((_, i) => left.includes(i) ? "left" : "right"),
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  table.push(...rows);
  return table.toString().split("\n").map((l) => l.trimEnd()).join("\n");
}

/**
 * The tables for one workload's rows. Per-operation phases: per phase and
 * backend, ns/op, req, used and reserved (with binary units), util
 * (req × 100 / reserved, integer) and the ratios to the best backend of the
 * phase. `?` where a backend cannot say; `–` for reserved/best where nothing
 * is live (every backend then holds only what it keeps after freeing, and a
 * ratio to a near-empty best says nothing) or the phase was cut off (it
 * holds other blocks than the rest). A cut-off ns/op is marked `*` and is
 * never the best. One-call phases (`released`) follow in a section of their
 * own: the call's time in µs or ms, what the backend still reserves, and the
 * time's ratio to the best.
 */
export function formatTable(rows: Row[]): string {
  const perOp: (string | number)[][] = [];
  const oneCall: (string | number)[][] = [];
  const phases = [...new Set(rows.map((r) => r.phase))];
  for (const phase of phases) {
    const of = rows.filter((r) => r.phase === phase);
    const bestNs = min(of.map((r) => r.cutOff ? null : r.nsPerOp));
    const bestReserved = min(of.map((r) => r.cutOff ? null : r.reserved));
    for (const r of of) {
      const ran = r.error ? "error" : r.nsPerOp === null ? "cut off" : null;
      if (ONE_CALL_PHASES.includes(phase)) {
        oneCall.push([
          phase,
          r.backend,
          ran ?? duration(r.nsPerOp!),
          bytes(r.reserved),
          ratio(r.nsPerOp, bestNs),
        ]);
        continue;
      }
      perOp.push([
        phase,
        r.backend,
        ran ?? r.nsPerOp!.toFixed(1) + (r.cutOff ? "*" : ""),
        bytes(r.req),
        bytes(r.used),
        bytes(r.reserved),
        r.req !== null && r.reserved
          ? `${Math.floor(r.req * 100 / r.reserved)}%`
          : "?",
        ratio(r.nsPerOp, bestNs),
        r.req === 0 || r.cutOff ? "–" : ratio(r.reserved, bestReserved),
      ]);
    }
  }
  const tables = [];
  if (perOp.length) tables.push(plainTable(HEAD, perOp));
  if (oneCall.length) tables.push(plainTable(ONE_CALL_HEAD, oneCall));
  return tables.join("\n\n");
}

/**
 * A one-call phase's time: µs below a millisecond, ms below a second, else
 * seconds.
 *
 * @param ns Nanoseconds.
 * @returns The time with its unit.
 */
export function duration(ns: number): string {
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function min(values: (number | null)[]): number | null {
  let best: number | null = null;
  for (const v of values) {
    if (v !== null && (best === null || v < best)) best = v;
  }
  return best;
}

function bytes(v: number | null): string {
  return v === null ? "?" : prettyBytes(v, { binary: true });
}

function ratio(v: number | null, best: number | null): string {
  if (v === null || best === null || best === 0) return "?";
  return (v / best).toFixed(2);
}
