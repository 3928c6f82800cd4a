// The micro benchmarks of `../_micro.ts` in a web page, timed by tinybench.
// Each sample is a batch of calls long enough for the browser's coarse clock
// (5 µs steps when cross-origin isolated), reported per call through
// tinybench's `overriddenDuration`. The table is drawn on the page and
// published as `globalThis.results` for `../browser.ts`.
import { Bench, type Task } from "tinybench";
import { type MicroGroup, microGroups } from "../_micro.ts";

/** One row of the results: a benchmark's time per call. */
export interface WebResult {
  group: string;
  task: string;
  "ns/op": number;
  "±%": number;
  samples: number;
  /** Calls timed together as one sample. */
  batch: number;
}

// Calls per sample: enough for about 200 µs on warm code (the first calls
// run in the interpreter). The count doubles until a loop takes 2 ms, and
// the fastest of three loops of that count sets the rate, so that a garbage
// collection during one of them does not shrink the batch.
function batchSize(fn: () => void): number {
  for (let i = 0; i < 1000; i++) fn();
  const time = (calls: number) => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return performance.now() - t0;
  };
  let calls = 1;
  while (time(calls) < 2) calls *= 2;
  const fastest = Math.min(time(calls), time(calls), time(calls));
  return Math.max(1, Math.round(0.2 * calls / fastest));
}

const doc = (globalThis as unknown as {
  document: { querySelector(s: string): { innerHTML: string } };
}).document;
const status = (text: string) => doc.querySelector("#status").innerHTML = text;

function render(groups: MicroGroup[], rows: WebResult[]): string {
  const byTask = new Map(rows.map((r) => [r.task, r]));
  return groups.map(({ title, benches }) => {
    const own = benches.map((b) => byTask.get(b.name)!);
    const max = Math.max(...own.map((r) => r["ns/op"]));
    const base = own[0]["ns/op"];
    return `<tr><th colspan="5">${title}</th></tr>` +
      own.map((r, i) =>
        `<tr><td>${r.task}</td><td class="n">${r["ns/op"].toFixed(1)}</td>` +
        `<td class="n">±${r["±%"].toFixed(1)}%</td>` +
        `<td class="n">${
          i === 0 ? "baseline" : `${(r["ns/op"] / base).toFixed(2)}×`
        }</td>` +
        `<td class="bar"><div style="width:${
          (100 * r["ns/op"] / max).toFixed(1)
        }%"></div></td></tr>`
      ).join("");
  }).join("");
}

async function main(): Promise<WebResult[]> {
  const groups = microGroups();
  const bench = new Bench({ time: 300, warmupTime: 50 });
  const groupOf = new Map<string, string>();
  const batchOf = new Map<string, number>();
  for (const { title, benches } of groups) {
    for (const { name, fn } of benches) {
      groupOf.set(name, title);
      const n = batchSize(fn);
      batchOf.set(name, n);
      bench.add(name, () => {
        const t0 = bench.now();
        for (let i = 0; i < n; i++) fn();
        const elapsed = bench.now() - t0;
        return {
          overriddenDuration: elapsed / n,
          overriddenIterationCost: elapsed,
        };
      });
    }
  }
  let done = 0;
  bench.addEventListener(
    "cycle",
    () => status(`running… ${++done} of ${bench.tasks.length}`),
  );
  await bench.run();
  const rows = bench.table((task: Task) => {
    const r = task.result;
    if (r.state !== "completed") throw new Error(`${task.name}: ${r.state}`);
    return {
      group: groupOf.get(task.name)!,
      task: task.name,
      "ns/op": r.latency.mean * 1e6,
      "±%": r.latency.rme,
      samples: r.latency.samplesCount,
      batch: batchOf.get(task.name)!,
    };
  }) as unknown as WebResult[];
  doc.querySelector("tbody").innerHTML = render(groups, rows);
  const isolated =
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  status(
    `${navigator.userAgent}<br>tinybench, ${rows.length} benchmarks, ` +
      `ns per call (mean of batched samples, ±: 95% margin of error); ` +
      `cross-origin isolated: ${isolated}`,
  );
  return rows;
}

// Started after the page's load event, so that loading the page does not
// wait for the benchmarks.
globalThis.addEventListener("load", () =>
  setTimeout(() =>
    main().then(
      (results) => Object.assign(globalThis, { results }),
      (e) => {
        status(`failed: ${(e as Error).message}`);
        throw e;
      },
    ), 0));
