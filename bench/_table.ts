// Formatting of the report: one table per workload, and medians.
import Table from "cli-table3";
import prettyBytes from "pretty-bytes";
import type { Phase, PhaseResult } from "./workloads.ts";

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

/** The columns of {@linkcode formatTable}. */
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
 * The table for one workload's rows: per phase and backend, ns/op, req, used
 * and reserved (with binary units), util (req × 100 / reserved, integer) and
 * the ratios to the best backend of the phase. `?` where a backend cannot say;
 * `–` for reserved/best where nothing is live (every backend then holds only
 * what it keeps after freeing, and a ratio to a near-empty best says
 * nothing) or the phase was cut off (it holds other blocks than the rest). A
 * cut-off ns/op is marked `*` and is never the best.
 */
export function formatTable(rows: Row[]): string {
  const table = new Table({
    head: HEAD,
    chars: { ...PLAIN, middle: "  " },
    colAligns: HEAD.map((_, i) => i < 2 ? "left" : "right"),
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  const phases = [...new Set(rows.map((r) => r.phase))];
  for (const phase of phases) {
    const of = rows.filter((r) => r.phase === phase);
    const bestNs = min(of.map((r) => r.cutOff ? null : r.nsPerOp));
    const bestReserved = min(of.map((r) => r.cutOff ? null : r.reserved));
    for (const r of of) {
      const ns = r.error
        ? "error"
        : r.nsPerOp === null
        ? "cut off"
        : r.nsPerOp.toFixed(1) + (r.cutOff ? "*" : "");
      table.push([
        phase,
        r.backend,
        ns,
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
  return table.toString().split("\n").map((l) => l.trimEnd()).join("\n");
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
