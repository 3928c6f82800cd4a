// The heap map's command line: which phase it draws (a live one by default),
// where it writes, --help and bad options.
import assert from "node:assert/strict";
import {
  DEFAULT_OUT,
  HELP,
  livePhase,
  parseHeapMapOptions,
  phasesOf,
  snapshotAt,
} from "../heap_map.ts";
import type { HeapSnapshot } from "../_heap_snapshot.ts";
import { WORKLOADS } from "../workloads.ts";

// Each workload's phases and the one drawn by default.
const PHASES: [workload: string, live: string, phases: string][] = [
  ["fixed_16", "churn", "fill,churn,drained,released"],
  ["fixed_64", "churn", "fill,churn,drained,released"],
  ["fixed_512", "churn", "fill,churn,drained,released"],
  ["uniform_small", "churn", "fill,churn,drained,released"],
  ["log_mixed", "churn", "fill,churn,drained,released"],
  ["large", "churn", "fill,churn,drained,released"],
  ["ramp_lifo", "fill", "fill,free,released"],
  ["ramp_fifo", "fill", "fill,free,released"],
  ["pin_5pct", "pinned", "fill,pinned,drained,released"],
  ["realloc_grow", "grow", "fill,grow,drained,released"],
];

Deno.test("livePhase: the last phase before the drain, for every workload", () => {
  assert.deepEqual(
    WORKLOADS.map((w) => [w.name, livePhase(w), phasesOf(w).join(",")]),
    PHASES,
  );
});

// Segments, spans, spans with a chunk in use, chunks in use, large blocks.
function census(shot: HeapSnapshot): number[] {
  const spans = shot.segments.flatMap((s) => s.spans).filter((s) => s !== null);
  return [
    shot.segments.length,
    spans.length,
    spans.filter((s) => s.used > 0).length,
    spans.reduce((sum, s) => sum + s.used, 0),
    shot.large.length,
  ];
}

Deno.test("the default map is log_mixed after churn, with live spans", () => {
  const { workload, phase, out, help } = parseHeapMapOptions([]);
  assert.deepEqual([workload.name, phase, out, help], [
    "log_mixed",
    "churn",
    DEFAULT_OUT,
    false,
  ]);
  assert.ok(DEFAULT_OUT.endsWith("/bench/out/heap-map.svg"));
  assert.deepEqual(census(snapshotAt(workload, phase)), [
    43,
    354,
    354,
    2694,
    1492,
  ]);
  // What the old default drew: the drained heap, its spans all empty.
  assert.deepEqual(census(snapshotAt(workload, "drained")), [43, 16, 0, 0, 0]);
});

Deno.test("parseHeapMapOptions: --workload, --phase, --out, -h", () => {
  const o = parseHeapMapOptions([
    "--workload=pin_5pct",
    "--phase",
    "fill",
    "--out=x.svg",
  ]);
  assert.deepEqual([o.workload.name, o.phase, o.out, o.help], [
    "pin_5pct",
    "fill",
    "x.svg",
    false,
  ]);
  assert.equal(parseHeapMapOptions(["-h"]).help, true);
});

const BAD: [args: string[], message: string][] = [
  [
    ["--workload=nope"],
    `Unknown workload "nope"; known: ${
      WORKLOADS.map((w) => w.name).join(", ")
    }`,
  ],
  [
    ["--workload=ramp_lifo", "--phase=churn"],
    'Workload ramp_lifo has no phase "churn"; its phases: fill, free, released',
  ],
];
for (const [args, message] of BAD) {
  Deno.test(`parseHeapMapOptions rejects ${JSON.stringify(args)}`, () => {
    assert.throws(() => parseHeapMapOptions(args), {
      name: "TypeError",
      message,
    });
  });
}

Deno.test("parseHeapMapOptions rejects an unknown option, pointing to --help", () => {
  assert.throws(() => parseHeapMapOptions(["--x"]), {
    name: "TypeError",
    message: /^Unknown option '--x'.* \(see --help\)$/,
  });
});

Deno.test("--help prints the help on stdout, writes nothing and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      new URL("../heap_map.ts", import.meta.url).pathname,
      "--help",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  assert.deepEqual(
    [out.code, text.decode(out.stdout), text.decode(out.stderr)],
    [0, HELP + "\n", ""],
  );
});
