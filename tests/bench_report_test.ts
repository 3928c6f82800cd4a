// The report's command line, tables, backends and JSON output.
import assert from "node:assert/strict";
import { parseArgs, report, toJson } from "../bench/report.ts";
import { formatTable, median, type Row } from "../bench/_table.ts";
import { BACKEND_NAMES, makeBackend } from "../bench/backends/mod.ts";
import { runWorkload, type Workload } from "../bench/workloads.ts";

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

Deno.test("parseArgs reads every option and rejects unknown ones", () => {
  const o = parseArgs([
    "--workload=fixed_16,large",
    "--backend=heap,gc",
    "--runs=3",
    "--budget=2",
    "--json",
  ]);
  assert.deepEqual(o.workloads.map((w) => w.name), ["fixed_16", "large"]);
  assert.deepEqual(o.backends, ["heap", "gc"]);
  assert.equal(o.runs, 3);
  assert.equal(o.budgetMs, 2000);
  assert.equal(o.json, true);
  assert.equal(parseArgs([]).workloads.length, 10);
  assert.equal(parseArgs([]).backends.length, 5);
  for (const bad of ["--workload=nope", "--backend=nope", "--runs=0", "--x"]) {
    assert.throws(() => parseArgs([bad]), TypeError, bad);
  }
});

for (const name of BACKEND_NAMES) {
  Deno.test(`${name}: every phase reports req, and writes 0x50`, async () => {
    const results = runWorkload(small, await makeBackend(name, small));
    assert.deepEqual(results.map((r) => r.phase), ["fill", "churn", "drained"]);
    for (const r of results) {
      assert.equal(r.cutOff, false);
      assert.ok(r.nsPerOp! > 0);
    }
    assert.equal(results[2].req, 0);
    if (name.startsWith("heap")) assert.equal(results[2].used, 0);
    if (name === "gc") assert.equal(results[1].used, results[1].req);
    if (name === "gc") assert.equal(results[1].reserved, null);
    // The fill is visible through the backend's own handle.
    const b = await makeBackend(name, small);
    const h = b.alloc(40);
    const grown = b.resize(h, 40, 100);
    if (grown instanceof Uint8Array) {
      assert.deepEqual([...new Set(grown)], [0x50]);
    }
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

Deno.test("the table has the report's columns, ratios and ? for unknowns", () => {
  const row = (
    backend: string,
    nsPerOp: number,
    reserved: number | null,
  ): Row => ({
    workload: "w",
    phase: "churn",
    backend,
    nsPerOp,
    req: 50,
    used: 60,
    reserved,
    cutOff: false,
  });
  const lines = formatTable([row("a", 10, 100), row("b", 25, null)])
    .split("\n").map((l) => l.trim().split(/\s+/));
  assert.deepEqual(lines[0], [
    "phase",
    "backend",
    "ns/op",
    "req",
    "used",
    "reserved",
    "util",
    "ns/best",
    "reserved/best",
  ]);
  assert.deepEqual(lines[1], [
    "churn",
    "a",
    "10.0",
    "50",
    "60",
    "100",
    "50",
    "1.00",
    "1.00",
  ]);
  assert.deepEqual(lines[2], [
    "churn",
    "b",
    "25.0",
    "50",
    "60",
    "?",
    "?",
    "2.50",
    "?",
  ]);
});

Deno.test("--json prints one array of rows and nothing else on stdout", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-run",
      "--allow-read",
      new URL("../bench/report.ts", import.meta.url).pathname,
      "--workload=large",
      "--backend=gc,malloc",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const rows = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(Array.isArray(rows));
  assert.deepEqual(
    rows.map((r: Row) => `${r.phase} ${r.backend}`),
    [
      "fill gc",
      "churn gc",
      "drained gc",
      "fill malloc",
      "churn malloc",
      "drained malloc",
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
  }
  assert.equal(rows[1].reserved, null); // gc cannot say
  assert.match(new TextDecoder().decode(out.stderr), /large × malloc/);
});

Deno.test("in-process report and toJson", async () => {
  const options = parseArgs([
    "--workload=large",
    "--backend=gc",
    "--in-process",
    "--json",
  ]);
  const rows = await report(options);
  assert.equal(JSON.parse(toJson(rows)).length, 3);
});
