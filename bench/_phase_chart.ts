// The report's chart (`deno task bench --chart=FILE.svg`): ns/op of every
// phase on every backend, one panel per workload, on a log scale (backends
// differ by up to a thousand times). A dot per backend, so that close values
// stay readable; a phase that was cut off is drawn hollow at the ns/op it
// had reached. One-call phases (`released`) are left out: a call of a
// millisecond is not an operation, and would stretch the axis a thousandfold;
// the tables show them in µs or ms.
import type { TopLevelSpec } from "vega-lite";
import { BACKEND_NAMES } from "./backends/backend.ts";
import type { Row } from "./_table.ts";
import { FONT, renderSvg } from "./_svg.ts";
import { ONE_CALL_PHASES, WORKLOADS } from "./workloads.ts";

const PHASES = ["fill", "churn", "free", "pinned", "grow", "drained"];

// A colour and a shape per backend of BACKEND_NAMES, so that backends are
// told apart in print and by colour-blind readers.
const COLOURS = [
  "#1f77b4",
  "#17becf",
  "#d62728",
  "#ff7f0e",
  "#7f7f7f",
  "#9467bd",
  "#2ca02c",
];
const SHAPES = [
  "circle",
  "square",
  "triangle-up",
  "diamond",
  "cross",
  "triangle-down",
  "triangle-right",
];

/**
 * Draws the rows of a report.
 *
 * @param rows The report's rows (medians if it ran several times).
 * @param subtitle What ran, where.
 * @returns The SVG text.
 */
export async function phaseChart(
  rows: readonly Row[],
  subtitle: string,
): Promise<string> {
  const values = rows.filter((r) =>
    r.nsPerOp !== null && !ONE_CALL_PHASES.includes(r.phase)
  ).map((r) => ({
    workload: r.workload,
    phase: r.phase,
    backend: r.backend,
    nsPerOp: r.nsPerOp,
    cutOff: r.cutOff ? "cut off (ns/op reached)" : "finished",
  }));
  // Each backend keeps its colour and shape whichever others ran.
  const backends = BACKEND_NAMES.filter((b) =>
    values.some((v) => v.backend === b)
  );
  const colours = backends.map((b) => COLOURS[BACKEND_NAMES.indexOf(b)]);
  const shapes = backends.map((b) => SHAPES[BACKEND_NAMES.indexOf(b)]);
  const spec: TopLevelSpec = {
    title: {
      text: "ns per operation, by workload, phase and backend (log scale)",
      subtitle: [
        subtitle,
        `lower is better; ${
          ONE_CALL_PHASES.join(", ")
        } (one call, not an operation): in the tables`,
      ],
      anchor: "start",
      fontSize: 15,
      subtitleFontSize: 12,
    },
    config: {
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 12 },
      header: { labelFontSize: 12, labelFontWeight: "bold" },
      legend: { labelFontSize: 12, titleFontSize: 12 },
    },
    data: { values },
    facet: {
      row: {
        field: "workload",
        type: "nominal",
        sort: WORKLOADS.map((w) => w.name),
        title: null,
        header: { labelOrient: "top", labelAnchor: "start", labelPadding: 2 },
      },
    },
    spacing: 6,
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 640,
      height: { step: 16 },
      mark: { type: "point", size: 70, strokeWidth: 1.5 },
      encoding: {
        x: {
          field: "nsPerOp",
          type: "quantitative",
          title: "ns/op (log scale)",
          scale: { type: "log", nice: true },
          axis: { grid: true, format: "~s", orient: "top" },
        },
        y: {
          field: "phase",
          type: "nominal",
          sort: PHASES,
          title: null,
          axis: { grid: true },
        },
        color: {
          field: "backend",
          type: "nominal",
          sort: backends,
          scale: { domain: backends, range: colours },
        },
        shape: {
          field: "backend",
          type: "nominal",
          scale: { domain: backends, range: shapes },
        },
        fill: {
          condition: {
            test: "datum.cutOff === 'finished'",
            field: "backend",
            type: "nominal",
            scale: { domain: backends, range: colours },
          },
          value: "transparent",
        },
        fillOpacity: { value: 0.85 },
        tooltip: [
          { field: "workload" },
          { field: "phase" },
          { field: "backend" },
          { field: "nsPerOp", type: "quantitative", format: ".1f" },
          { field: "cutOff", title: "run" },
        ],
      },
    },
  };
  return await renderSvg(spec);
}
