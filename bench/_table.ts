// Formatting of the report: one table per workload, and medians.
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

const HEAD = [
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

/**
 * The table for one workload's rows: per phase and backend, ns/op,
 * req, used, reserved, util (req × 100 / reserved), and the ratios to the best
 * backend of the phase; `?` where unknown. A cut-off ns/op is marked `*`.
 */
export function formatTable(rows: Row[]): string {
  const lines: string[][] = [HEAD];
  const phases = [...new Set(rows.map((r) => r.phase))];
  for (const phase of phases) {
    const of = rows.filter((r) => r.phase === phase);
    // A cut-off figure is a partial one: it cannot be the best.
    const bestNs = min(of.map((r) => r.cutOff ? null : r.nsPerOp));
    const bestReserved = min(of.map((r) => r.cutOff ? null : r.reserved));
    for (const r of of) {
      const ns = r.error
        ? "error"
        : r.nsPerOp === null
        ? "cut off"
        : r.nsPerOp.toFixed(1) + (r.cutOff ? "*" : "");
      lines.push([
        phase,
        r.backend,
        ns,
        int(r.req),
        int(r.used),
        int(r.reserved),
        r.req !== null && r.reserved
          ? int(Math.floor(r.req * 100 / r.reserved))
          : "?",
        ratio(r.nsPerOp, bestNs),
        ratio(r.reserved, bestReserved),
      ]);
    }
  }
  const widths = HEAD.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) =>
    l.map((cell, i) =>
      i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])
    )
      .join("  ").trimEnd()
  ).join("\n");
}

function min(values: (number | null)[]): number | null {
  let best: number | null = null;
  for (const v of values) {
    if (v !== null && (best === null || v < best)) best = v;
  }
  return best;
}

function int(v: number | null): string {
  return v === null ? "?" : String(Math.round(v));
}

function ratio(v: number | null, best: number | null): string {
  if (v === null || best === null) return "?";
  if (best === 0) return v === 0 ? "1.00" : "?";
  return (v / best).toFixed(2);
}
