// The heap map: a heap's pages in address order, one cell per 4 KiB page,
// drawn from a HeapSnapshot. Spans are coloured by size class (small classes
// dark, large ones light) and shaded by how full they are; segment headers,
// large blocks (their first page darker), empty spans and the free pages of
// the page source each have a colour of their own.
import prettyBytes from "pretty-bytes";
import * as vega from "vega";
import type { TopLevelSpec } from "vega-lite";
import type { HeapSnapshot } from "./_heap_snapshot.ts";
import { FONT, renderSvg } from "./_svg.ts";

const PAGE = 4096;

// Everything that is not a span, in legend order, with its colour.
const KINDS: [string, string][] = [
  ["large block, first page", "#8c2d04"],
  ["large block", "#e6550d"],
  ["empty span", "#c6dbef"],
  ["segment header", "#525252"],
  ["heap's own page", "#000000"],
  ["kept by the heap for reuse", "#fdae6b"],
  ["free, retained", "#bdbdbd"],
  ["free, purged", "#e7e1ef"],
  ["free", "#d9d9d9"],
  ["not the heap's", "#969696"],
  ["null page", "#f0f0f0"],
];

interface Cell {
  page: number;
  row: number;
  col: number;
  kind: string;
  fill: number;
  detail: string;
}

const bytes = (n: number) => prettyBytes(n, { binary: true });

// One cell per page from 0 to the high-water mark.
function cells(shot: HeapSnapshot, cols: number): Cell[] {
  const count = shot.pages.touchedBytes / PAGE;
  const out: Cell[] = [];
  const set = (page: number, kind: string, fill: number, detail: string) => {
    out[page] = {
      page,
      row: Math.floor(page / cols),
      col: page % cols,
      kind,
      fill,
      detail,
    };
  };
  set(0, "null page", 1, "never handed out");
  if (shot.heapPage) set(shot.heapPage / PAGE, "heap's own page", 1, "");
  for (const { address, spans } of shot.segments) {
    set(address / PAGE, "segment header", 1, "");
    spans.forEach((s, i) => {
      const page = address / PAGE + 1 + i;
      if (s === null) set(page, "empty span", 1, "on the empty-span list");
      else {
        set(
          page,
          `class ${s.classSize}`,
          s.used / s.capacity,
          `${s.used} of ${s.capacity} chunks`,
        );
      }
    });
  }
  for (const { address, size, capacity } of shot.large) {
    const first = address / PAGE;
    for (let p = first; p < first + capacity / PAGE; p++) {
      set(
        p,
        p === first ? "large block, first page" : "large block",
        1,
        `${bytes(size)} in ${bytes(capacity)}`,
      );
    }
  }
  for (const { address, pages, state } of shot.free) {
    for (let p = address / PAGE; p < address / PAGE + pages; p++) {
      set(p, state ? `free, ${state}` : "free", 1, "");
    }
  }
  for (const { address, pages } of shot.kept) {
    for (let p = address / PAGE; p < address / PAGE + pages; p++) {
      set(p, "kept by the heap for reuse", 1, "");
    }
  }
  for (const { address, pages } of shot.foreign) {
    for (let p = address / PAGE; p < address / PAGE + pages; p++) {
      set(p, "not the heap's", 1, "");
    }
  }
  for (let p = 0; p < count; p++) out[p] ??= cellOf(p, cols);
  return out;
}

function cellOf(page: number, cols: number): Cell {
  return {
    page,
    row: Math.floor(page / cols),
    col: page % cols,
    kind: "not the heap's",
    fill: 1,
    detail: "",
  };
}

/**
 * Draws a heap's state as an SVG map.
 *
 * @param shot The state.
 * @param title What the heap is (the workload, the phase).
 * @returns The SVG text.
 */
export async function heapMap(
  shot: HeapSnapshot,
  title: string,
): Promise<string> {
  const pages = shot.pages.touchedBytes / PAGE;
  // 64 pages (256 KiB) a row, 128 past 80 rows, 256 past 100.
  const cols = pages <= 64 * 80 ? 64 : pages <= 128 * 100 ? 128 : 256;
  const cell = { 64: 10, 128: 7, 256: 4 }[cols]!;
  const rowKiB = cols * PAGE / 1024;
  const data = cells(shot, cols);
  const present = new Set(data.map((c) => c.kind));
  const ramp = vega.scheme("viridis") as (t: number) => string;
  const legend = [
    ...shot.classSizes.map((c, i): [string, string] => [
      `class ${c}`,
      ramp(0.92 * i / (shot.classSizes.length - 1)),
    ]),
    ...KINDS,
  ].filter(([name]) => present.has(name));
  const spans = shot.segments.flatMap((s) => s.spans);
  const live = spans.filter((s) => s !== null);
  const used = live.reduce((n, s) => n + s!.used * s!.classSize, 0);
  const held = live.reduce((n, s) => n + s!.capacity * s!.classSize, 0);
  const largeBytes = shot.large.reduce((n, b) => n + b.capacity, 0);
  const spec: TopLevelSpec = {
    title: {
      text: title,
      subtitle: [
        `one cell = one 4 KiB page, ${cols} pages (${
          bytes(cols * PAGE)
        }) a row, ` +
        `from offset 0 to the high-water mark (${
          bytes(shot.pages.touchedBytes)
        })`,
        `${shot.segments.length} segments: ${live.length} live spans ` +
        `(${
          held ? Math.round(100 * used / held) : 0
        }% of their chunks used), ` +
        `${
          spans.length - live.length
        } empty; ${shot.large.length} large blocks ` +
        `(${bytes(largeBytes)}); free pages: ${
          bytes(shot.pages.retainedBytes)
        } ` +
        `retained, ${bytes(shot.pages.purgedBytes)} purged`,
      ],
      anchor: "start",
      fontSize: 15,
      subtitleFontSize: 12,
    },
    config: { font: FONT, view: { stroke: null } },
    data: { values: data },
    width: cols * cell,
    height: { step: cell },
    mark: { type: "rect", stroke: "#ffffff", strokeWidth: cell > 4 ? 1 : 0.3 },
    encoding: {
      x: { field: "col", type: "ordinal", axis: null },
      y: {
        field: "row",
        type: "ordinal",
        title: "offset",
        axis: {
          labelExpr: `datum.value * ${rowKiB} >= 1024 ? ` +
            `format(datum.value * ${rowKiB} / 1024, ',.2~f') + ' MiB' : ` +
            `format(datum.value * ${rowKiB}, ',') + ' KiB'`,
          labelFontSize: 10,
          labelOverlap: true,
          ticks: false,
          domain: false,
        },
      },
      color: {
        field: "kind",
        type: "nominal",
        title: "page",
        scale: {
          domain: legend.map(([name]) => name),
          range: legend.map(([, colour]) => colour),
        },
        legend: {
          symbolStrokeColor: "#999999",
          symbolStrokeWidth: 0.5,
          labelLimit: 240,
        },
      },
      opacity: {
        field: "fill",
        type: "quantitative",
        // Two lines, neither cut off (Vega cuts a title at 180 px by default).
        title: ["span fill (paler:", "fewer chunks used)"],
        scale: { domain: [0, 1], range: [0.15, 1] },
        legend: { format: "%", values: [0, 0.5, 1], titleLimit: 240 },
      },
      tooltip: [
        { field: "page", type: "quantitative", title: "page" },
        { field: "kind", type: "nominal" },
        { field: "detail", type: "nominal" },
      ],
    },
  };
  return await renderSvg(spec);
}
