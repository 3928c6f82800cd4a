// The report's command line, tables, backends and JSON output.
import assert from "node:assert/strict";
import {
  CROSS_HEAD,
  CROSS_LEGEND,
  crossWorker,
  crossWorkerTable,
} from "../cross_worker.ts";
import { BATCH } from "../_cross_worker_task.ts";
import {
  HELP,
  parseOptions,
  report,
  THING_WORKLOADS,
  toJson,
} from "../report.ts";
import {
  duration,
  formatTable,
  HEAD,
  median,
  mergeRuns,
  ONE_CALL_HEAD,
  type Row,
} from "../_table.ts";
import { BACKEND_NAMES, makeBackend } from "../backends/mod.ts";
import { runWorkload, type Workload, WORKLOADS } from "../workloads.ts";
import { parseWorkerTable } from "../../scripts/readme_figures.ts";
import { runScript } from "./_run.ts";

const ALL = WORKLOADS.map((w) => w.name);
const WITHOUT_THING = BACKEND_NAMES.filter((b) => b !== "thi.ng");

// Each command line and the options it must give (only the keys listed).
const COMMAND_LINES: {
  args: string[];
  expect: {
    workloads?: string[];
    backends?: string[][];
    runs?: number;
    budgetMs?: number;
    json?: boolean;
    inProcess?: boolean;
    help?: boolean;
    thingLeftOut?: boolean;
    workers?: number[];
  };
}[] = [
  {
    args: [],
    expect: {
      workloads: ALL,
      backends: ALL.map((w) =>
        THING_WORKLOADS.includes(w) ? [...BACKEND_NAMES] : WITHOUT_THING
      ),
      runs: 1,
      budgetMs: 10_000,
      json: false,
      inProcess: false,
      help: false,
      thingLeftOut: true,
      workers: [1, 2, 4],
    },
  },
  { args: ["--workers=2,4"], expect: { workers: [2, 4] } },
  { args: ["--workers", "none"], expect: { workers: [] } },
  {
    args: ["--runs", "3", "--budget", "2.5", "--json"],
    expect: { runs: 3, budgetMs: 2500, json: true },
  },
  { args: ["--runs=3", "--budget=2"], expect: { runs: 3, budgetMs: 2000 } },
  {
    args: ["--workload=fixed_16,large", "--backend", "heap,thi.ng"],
    expect: {
      workloads: ["fixed_16", "large"],
      backends: [["heap", "thi.ng"], ["heap", "thi.ng"]],
      thingLeftOut: false,
    },
  },
  {
    args: ["--backend", "gc", "--backend=malloc", "--in-process"],
    expect: {
      backends: ALL.map(() => ["gc", "malloc"]),
      inProcess: true,
      thingLeftOut: false,
    },
  },
  { args: ["-h"], expect: { help: true } },
  { args: ["--help"], expect: { help: true } },
];

for (const { args, expect } of COMMAND_LINES) {
  Deno.test(`parseOptions ${JSON.stringify(args)}`, () => {
    const o = parseOptions(args);
    const got = {
      workloads: o.plan.map((p) => p.workload.name),
      backends: o.plan.map((p) => p.backends),
      runs: o.runs,
      budgetMs: o.budgetMs,
      json: o.json,
      inProcess: o.inProcess,
      help: o.help,
      thingLeftOut: o.thingLeftOut,
      workers: o.workers,
    };
    for (const key of Object.keys(expect) as (keyof typeof expect)[]) {
      assert.deepEqual(got[key], expect[key], key);
    }
  });
}

// Each bad command line and what its TypeError must say.
const BAD_COMMAND_LINES: [args: string[], message: RegExp][] = [
  [["--workload=nope"], /Unknown workload "nope"; known: fixed_16, /],
  [["--backend", "nope"], /Unknown backend "nope"; known: heap, /],
  [["--backend="], /--backend needs at least one name/],
  [["--runs=0"], /--runs needs an integer from 1 to 100, got "0"/],
  [["--runs", "1.5"], /--runs needs an integer from 1 to 100, got "1.5"/],
  [["--runs=101"], /--runs needs an integer from 1 to 100, got "101"/],
  [
    ["--budget=-1"],
    /--budget needs a positive number, got "-1" \(see --help\)/,
  ],
  [["--workers=0"], /--workers needs an integer from 1 to 64, got "0"/],
  [["--workers=1,65"], /--workers needs an integer from 1 to 64, got "65"/],
  [["--runs"], /'--runs <value>' argument missing \(see --help\)/],
  [["--x"], /Unknown option '--x'.*\(see --help\)/],
  [["large"], /Unexpected argument 'large'.*\(see --help\)/],
];

for (const [args, message] of BAD_COMMAND_LINES) {
  Deno.test(`parseOptions rejects ${JSON.stringify(args)}`, () => {
    assert.throws(() => parseOptions(args), (e) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, message);
      return true;
    });
  });
}

// A small churn workload, quick on every backend.
const small: Workload = {
  name: "small",
  kind: "churn",
  shape: "log",
  lo: 16,
  hi: 16384,
  slots: 64,
  ops: 500,
};

for (const name of BACKEND_NAMES) {
  Deno.test(`${name}: phases, footprint and 0x50 writes`, async () => {
    const backend = await makeBackend(name, small);
    const results = runWorkload(small, backend);
    const releases = backend.release !== undefined;
    assert.deepEqual(
      results.map((r) => r.phase),
      ["fill", "churn", "drained", ...(releases ? ["released"] : [])],
    );
    for (const r of results) {
      assert.equal(r.cutOff, false);
      assert.ok(r.nsPerOp! > 0);
      // Never below what is asked; never negative.
      if (r.used !== null) assert.ok(r.used >= r.req!, `${r.phase} used`);
      if (r.reserved !== null) {
        assert.ok(r.reserved >= r.used!, `${r.phase} reserved`);
      }
    }
    const [fill, churn, drained, released] = results;
    assert.equal(drained.req, 0);
    assert.equal(drained.used, 0);
    if (name.startsWith("heap")) {
      // trim() + purge(): just the heap's own page is left.
      assert.equal(released.reserved, 4096);
      assert.equal(drained.reserved! > 4096, true);
    }
    assert.deepEqual(
      ["heap", "heap-unsafe", "heap-buffer", "malloc", "malloc-view"]
        .includes(name),
      releases,
      "which backends can give memory back",
    );
    if (name === "gc") {
      assert.equal(churn.used, churn.req);
      assert.equal(churn.reserved, null);
    }
    if (name === "typedarray-pool") {
      // Buffers are powers of two, and every freed one stays in the pool.
      assert.ok(fill.used! < 2 * fill.req!);
      assert.equal(drained.reserved, churn.reserved);
    }
    // Every byte asked for is written, also after a resize.
    const b = await makeBackend(name, small);
    const h = b.alloc(40);
    assert.deepEqual([...new Set(b.bytes(h, 40))], [0x50]);
    const grown = b.resize(h, 40, 100);
    assert.deepEqual([...new Set(b.bytes(grown, 100))], [0x50]);
    b.free(grown, 100);
    b.destroy();
  });
}

Deno.test("a run past its budget is cut off with the ns/op it reached", async () => {
  const slow = { ...small, ops: 1e9 };
  const results = runWorkload(slow, await makeBackend("gc", slow), {
    budgetMs: 50,
  });
  assert.equal(results[1].phase, "churn");
  assert.equal(results[1].cutOff, true);
  assert.ok(results[1].ops > 0 && results[1].ops < 1e9);
  assert.ok(results[1].nsPerOp! > 0);
  assert.equal(results[2].phase, "drained");
  assert.equal(results[2].nsPerOp, null);
});

Deno.test("median", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, null, 2, 3]), 2.5);
  assert.equal(median([null]), null);
});

Deno.test("merging runs where only one was cut off", () => {
  const phase = (
    name: "fill" | "churn" | "drained",
    nsPerOp: number | null,
    cutOff = false,
  ) => ({
    phase: name,
    ops: 1,
    nsPerOp,
    req: nsPerOp === null ? null : 100,
    used: nsPerOp === null ? null : 120,
    reserved: nsPerOp === null ? null : 4096,
    cutOff,
  });
  const rows = mergeRuns("w", "b", [
    [phase("fill", 10), phase("churn", 30), phase("drained", 5)],
    [phase("fill", 12), phase("churn", 90, true), phase("drained", null, true)],
    [phase("fill", 11), phase("churn", 20), phase("drained", 7)],
  ]);
  assert.deepEqual(
    rows.map((r) => [r.phase, r.nsPerOp, r.req, r.cutOff]),
    [
      ["fill", 11, 100, false],
      // The cut-off run's figure counts in the median, and marks the row.
      ["churn", 30, 100, true],
      // A phase that never ran in one run: the median of those that did.
      ["drained", 6, 100, true],
    ],
  );
});

// Rows of one phase in, the table's cells out (split on two spaces or more).
const TABLES: {
  name: string;
  rows: [
    phase: Row["phase"],
    backend: string,
    nsPerOp: number | null,
    req: number,
    used: number | null,
    reserved: number | null,
    cutOff?: boolean,
  ][];
  expect: string[][];
}[] = [
  {
    name: "ratios to the best complete run, units, ? where unknown",
    rows: [
      ["churn", "a", 10, 1536, 2048, 1048576],
      ["churn", "b", 25, 1536, null, null],
      ["churn", "c", 5, 1024, 1600, 3000, true],
    ],
    expect: [
      ["churn", "a", "10.0", "1.5 KiB", "2 KiB", "1 MiB", "0%", "1.00", "1.00"],
      ["churn", "b", "25.0", "1.5 KiB", "?", "?", "?", "2.50", "?"],
      // Cut off: never the best, and it holds other blocks than the rest.
      [
        "churn",
        "c",
        "5.0*",
        "1 KiB",
        "1.56 KiB",
        "2.93 KiB",
        "34%",
        "0.50",
        "–",
      ],
    ],
  },
  {
    name: "no reserved ratio where nothing is live",
    rows: [
      ["drained", "a", 4, 0, 0, 4096],
      ["drained", "b", 8, 0, 0, 32],
    ],
    expect: [
      ["drained", "a", "4.0", "0 B", "0 B", "4 KiB", "0%", "1.00", "–"],
      ["drained", "b", "8.0", "0 B", "0 B", "32 B", "0%", "2.00", "–"],
    ],
  },
  {
    name: "a phase that never ran",
    rows: [["free", "a", null, 100, null, null, true]],
    expect: [["free", "a", "cut off", "100 B", "?", "?", "?", "?", "–"]],
  },
];

for (const { name, rows, expect } of TABLES) {
  Deno.test(`table: ${name}`, () => {
    const lines = formatTable(
      rows.map(([phase, backend, nsPerOp, req, used, reserved, cutOff]) => ({
        workload: "w",
        phase,
        backend,
        nsPerOp,
        req,
        used,
        reserved,
        cutOff: cutOff ?? false,
      })),
    ).split("\n").map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(lines[0], HEAD);
    assert.deepEqual(lines.slice(1), expect);
  });
}

Deno.test("table: one-call phases in a section of their own, in µs or ms", () => {
  const row = (phase: string, backend: string, nsPerOp: number) =>
    ({
      workload: "w",
      phase,
      backend,
      nsPerOp,
      req: 0,
      used: 0,
      reserved: 4096,
      cutOff: false,
    }) as Row;
  const [perOp, oneCall] = formatTable([
    row("drained", "a", 4),
    row("released", "a", 52_300),
    row("released", "b", 2_615_000),
  ]).split("\n\n").map((t) =>
    t.split("\n").map((l) => l.trim().split(/\s{2,}/))
  );
  assert.deepEqual(perOp, [
    HEAD,
    ["drained", "a", "4.0", "0 B", "0 B", "4 KiB", "0%", "1.00", "–"],
  ]);
  assert.deepEqual(oneCall, [
    ONE_CALL_HEAD,
    ["released", "a", "52.3 µs", "4 KiB", "1.00"],
    ["released", "b", "2.62 ms", "4 KiB", "50.00"],
  ]);
});

Deno.test("duration: µs below a millisecond, ms below a second, else s", () => {
  assert.deepEqual(
    [999, 999_949, 1_000_000, 999_990_000, 2.5e9].map(duration),
    ["1.0 µs", "999.9 µs", "1.00 ms", "999.99 ms", "2.50 s"],
  );
});

function runReport(...args: string[]) {
  return runScript("report.ts", ["--allow-ffi", "--allow-run"], args);
}

Deno.test("--help prints the help on stdout and exits 0", async () => {
  const out = await runReport("--help");
  assert.equal(out.code, 0);
  assert.equal(out.stdout, HELP + "\n");
  assert.equal(out.stderr, "");
});

Deno.test("a bad option exits 2 with the message on stderr", async () => {
  const out = await runReport("--runs=0");
  assert.equal(out.code, 2);
  assert.equal(out.stdout, "");
  assert.equal(
    out.stderr,
    '--runs needs an integer from 1 to 100, got "0" (see --help)\n',
  );
});

Deno.test("--json prints one array of rows and nothing else on stdout", async () => {
  const out = await runReport(
    "--workload=large",
    "--backend=gc,malloc",
    "--json",
  );
  assert.equal(out.code, 0, out.stderr);
  const rows = JSON.parse(out.stdout);
  assert.deepEqual(
    rows.map((r: Row) => `${r.phase} ${r.backend}`),
    [
      "fill gc",
      "churn gc",
      "drained gc",
      "fill malloc",
      "churn malloc",
      "drained malloc",
      "released malloc",
    ],
  );
  for (const r of rows) {
    assert.deepEqual(Object.keys(r), [
      "workload",
      "phase",
      "backend",
      "nsPerOp",
      "req",
      "used",
      "reserved",
      "cutOff",
    ]);
    assert.equal(typeof r.req, "number"); // raw bytes, no units
  }
  assert.deepEqual(rows.map((r: Row) => r.req), [
    35703590,
    18159185,
    0,
    35703590,
    18159185,
    0,
    0,
  ]);
  assert.equal(rows[1].reserved, null); // gc cannot say
  assert.match(out.stderr, /large × malloc/);
});

Deno.test("in-process report and toJson", async () => {
  const options = parseOptions([
    "--workload=large",
    "--backend=gc",
    "--in-process",
    "--json",
  ]);
  const rows = await report(options);
  assert.deepEqual(
    JSON.parse(toJson(rows)).map((r: Row) => r.phase),
    ["fill", "churn", "drained"],
  );
});

Deno.test("the cross-worker workload runs every backend at every worker count", async () => {
  const rows = await crossWorker({ workers: [1, 2], rounds: 20, runs: 1 });
  assert.deepEqual(
    rows.map((r) => [r.workers, r.backend]),
    [[1, "heap"], [1, "malloc"], [2, "heap"], [2, "malloc"]],
  );
  for (const r of rows) assert.ok(r.nsPerOp > 0 && r.opsPerUs > 0);
});

Deno.test("crossWorkerTable: scaling against 1 worker, heap ÷ malloc, every column explained", () => {
  const lines = crossWorkerTable([
    { backend: "heap", workers: 1, nsPerOp: 50, opsPerUs: 20 },
    { backend: "malloc", workers: 1, nsPerOp: 40, opsPerUs: 25 },
    { backend: "heap", workers: 2, nsPerOp: 25, opsPerUs: 80 },
    { backend: "malloc", workers: 2, nsPerOp: 50, opsPerUs: 40 },
  ]).split("\n");
  assert.equal(
    lines[0],
    `cross-worker — rounds of ${BATCH} allocations (16–256 B), half freed by the next worker`,
  );
  const cells = lines.slice(2, 7).map((l) => l.trim().split(/\s{2,}/));
  assert.deepEqual(cells, [
    CROSS_HEAD,
    ["1", "heap", "50.0", "20.0", "1.00×", "1.25"],
    ["1", "malloc", "40.0", "25.0", "1.00×"],
    ["2", "heap", "25.0", "80.0", "4.00×", "0.50"],
    ["2", "malloc", "50.0", "40.0", "1.60×"],
  ]);
  assert.deepEqual(lines.slice(8), CROSS_LEGEND);
  assert.deepEqual(
    CROSS_LEGEND.map((l) => l.slice(0, l.indexOf(":"))),
    CROSS_HEAD,
  );
});

Deno.test("crossWorkerTable: the README's figures script reads its head and rows back", () => {
  const table = parseWorkerTable(crossWorkerTable([
    { backend: "heap", workers: 1, nsPerOp: 50, opsPerUs: 20 },
    { backend: "malloc", workers: 1, nsPerOp: 40, opsPerUs: 25 },
    { backend: "heap", workers: 4, nsPerOp: 12.5, opsPerUs: 160 },
  ]));
  assert.deepEqual(table, {
    head: CROSS_HEAD,
    rows: [
      { workers: 1, backend: "heap", nsPerOp: 50, opsPerUs: 20, scaling: 1 },
      { workers: 1, backend: "malloc", nsPerOp: 40, opsPerUs: 25, scaling: 1 },
      { workers: 4, backend: "heap", nsPerOp: 12.5, opsPerUs: 160, scaling: 8 },
    ],
  });
});
