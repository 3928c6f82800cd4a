// The pictures: the heap snapshot the map is drawn from (exact addresses),
// the heap map and the report's phase chart (what the SVG names and how it
// marks a cut-off phase).
import assert from "node:assert/strict";
import { Heap } from "../../heap/mod.ts";
import { BufferPages } from "../../os/mod.ts";
import { parseOptions } from "../report.ts";
import { type HeapSnapshot, snapshotHeap } from "../_heap_snapshot.ts";
import { heapMap } from "../_heap_map.ts";
import { phaseChart } from "../_phase_chart.ts";
import type { Row } from "../_table.ts";

const PAGE = 4096;
const EMPTY_12 = Array(12).fill(null);
// The heap's classes, as Heap.classStats lists them.
// deno-fmt-ignore
const CLASS_SIZES = [
  16, 32, 48, 64, 96, 128, 192, 256, 336, 448, 576, 672, 800, 1008, 1344, 2016,
];

// The snapshot of a heap on 4 MiB of BufferPages whose own page is page 1 and
// whose one segment starts at page 2, as the SNAPSHOTS make them.
function oneSegment(
  state: Pick<HeapSnapshot, "large" | "free" | "kept">,
  spans: HeapSnapshot["segments"][0]["spans"],
  pages: { liveBytes: number; retainedBytes: number; touchedBytes: number },
): HeapSnapshot {
  return {
    classSizes: CLASS_SIZES,
    heapPage: PAGE,
    segments: [{ address: 2 * PAGE, spans: [...spans, ...EMPTY_12] }],
    ...state,
    foreign: [],
    pages: { reservedBytes: 2 ** 22, ...pages, purgedBytes: 0 },
  };
}

// A heap on 4 MiB of BufferPages after the allocations of `ops` (sizes;
// a negative number frees the allocation of that size made before; 0 is a
// trim()).
function heapAfter(ops: number[]): { heap: Heap; pages: BufferPages } {
  const pages = new BufferPages({ reserve: 2 ** 22 });
  const heap = new Heap({ pages });
  const live = new Map<number, number>();
  for (const op of ops) {
    if (op > 0) live.set(op, heap.alloc(op));
    else if (op < 0) heap.free(live.get(-op)!, -op);
    else heap.trim();
  }
  return { heap, pages };
}

const SNAPSHOTS: { name: string; ops: number[]; expect: HeapSnapshot }[] = [
  {
    name: "spans of three classes and a large block",
    ops: [16, 64, 1024, 8192],
    expect: oneSegment(
      {
        large: [{ address: 18 * PAGE, size: 8192, capacity: 2 * PAGE }],
        free: [],
        kept: [],
      },
      [
        { classSize: 16, used: 1, capacity: 253 },
        { classSize: 64, used: 1, capacity: 63 },
        { classSize: 1344, used: 1, capacity: 3 },
      ],
      {
        liveBytes: PAGE + 16 * PAGE + 2 * PAGE,
        retainedBytes: 0,
        touchedBytes: 20 * PAGE,
      },
    ),
  },
  {
    name: "a freed medium block's pages, kept by the heap for the next one",
    ops: [64, 5000, 8192, -5000],
    expect: oneSegment(
      {
        large: [{ address: 20 * PAGE, size: 8192, capacity: 2 * PAGE }],
        free: [],
        kept: [{ address: 18 * PAGE, pages: 2 }],
      },
      [{ classSize: 64, used: 1, capacity: 63 }, null, null],
      {
        liveBytes: PAGE + 16 * PAGE + 4 * PAGE,
        retainedBytes: 0,
        touchedBytes: 22 * PAGE,
      },
    ),
  },
  {
    name: "a freed medium block's pages, given back by trim() and retained",
    ops: [64, 5000, 8192, -5000, 0],
    expect: oneSegment(
      {
        large: [{ address: 20 * PAGE, size: 8192, capacity: 2 * PAGE }],
        free: [{ address: 18 * PAGE, pages: 2, state: "retained" }],
        kept: [],
      },
      [{ classSize: 64, used: 1, capacity: 63 }, null, null],
      {
        liveBytes: PAGE + 16 * PAGE + 2 * PAGE,
        retainedBytes: 2 * PAGE,
        touchedBytes: 22 * PAGE,
      },
    ),
  },
];

for (const { name, ops, expect } of SNAPSHOTS) {
  Deno.test(`snapshotHeap: ${name}`, () => {
    const { heap, pages } = heapAfter(ops);
    assert.deepEqual(snapshotHeap(heap), expect);
    heap.destroy();
    pages.destroy();
  });
}

Deno.test("heapMap names what is on the map and nothing else", async () => {
  const { heap, pages } = heapAfter([16, 64, 5000, 8192, -5000, 0, 12000]);
  heap.free(heap.alloc(9000), 9000); // kept by the heap
  const svg = await heapMap(snapshotHeap(heap), "Heap map: a test");
  heap.destroy();
  pages.destroy();
  for (
    const label of [
      "Heap map: a test",
      "class 16",
      "class 64",
      "large block, first page",
      "empty span",
      "segment header",
      "free, retained",
      "kept by the heap for reuse",
      "1 segments: 2 live spans",
      // The fill legend's title, on two lines that are not cut off.
      ">span fill (paler:<",
      ">fewer chunks used)<",
    ]
  ) {
    assert.ok(svg.includes(label), `the map shows "${label}"`);
  }
  for (const label of ["class 32", "free, purged", "not the heap's"]) {
    assert.ok(!svg.includes(label), `the map does not show "${label}"`);
  }
});

// Rows as the report makes them.
function row(
  workload: string,
  phase: string,
  backend: string,
  nsPerOp: number,
  cutOff = false,
): Row {
  return {
    workload,
    phase,
    backend,
    nsPerOp,
    req: 0,
    used: null,
    reserved: null,
    cutOff,
  } as Row;
}

Deno.test("phaseChart draws a dot per phase and backend, hollow if cut off", async () => {
  const svg = await phaseChart([
    row("fixed_16", "fill", "heap", 50),
    row("fixed_16", "churn", "heap", 40),
    row("fixed_16", "fill", "gc", 500),
    row("fixed_16", "churn", "gc", 5000, true),
  ], "a test");
  for (const label of ["fixed_16", "fill", "churn", "heap", "gc", "a test"]) {
    assert.ok(svg.includes(`>${label}<`), `the chart shows "${label}"`);
  }
  assert.ok(
    !svg.includes(">malloc<"),
    "backends that did not run are left out",
  );
  // Four dots; the cut-off one has no fill (only its outline is drawn).
  const dots = svg.match(/<path[^>]*aria-roledescription="point"[^>]*>/g) ?? [];
  assert.equal(dots.length, 4);
  const hollow = dots.filter((d) => !/ fill="/.test(d));
  assert.equal(hollow.length, 1);
  assert.match(hollow[0], /phase: churn; backend: gc;/);
});

Deno.test("parseOptions --chart names the SVG file", () => {
  assert.equal(parseOptions([]).chart, undefined);
  assert.equal(parseOptions(["--chart=out.svg"]).chart, "out.svg");
  assert.equal(parseOptions(["--chart", "a.svg"]).chart, "a.svg");
});
