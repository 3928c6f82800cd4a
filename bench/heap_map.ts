/**
 * The heap map of a workload's end state:
 * `deno task heap-map [--workload NAME] [--out FILE.svg]`. Runs the workload
 * on a Heap on BufferPages up to the end of its main phase (churn, free,
 * pinned or grow: before the drain), then draws every page of the heap's
 * range as one cell (`_heap_map.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { HeapBackend } from "./backends/heap.ts";
import { heapMap } from "./_heap_map.ts";
import { type HeapSnapshot, snapshotHeap } from "./_heap_snapshot.ts";
import { type Phase, runWorkload, WORKLOADS } from "./workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    workload: { type: "string", default: "log_mixed" },
    out: { type: "string", default: "heap-map.svg" },
  },
});
const workload = WORKLOADS.find((w) => w.name === values.workload);
if (!workload) {
  console.error(
    `Unknown workload "${values.workload}"; known: ${
      WORKLOADS.map((w) => w.name).join(", ")
    }`,
  );
  Deno.exit(2);
}

const backend = new HeapBackend(true);
let shot: HeapSnapshot | undefined;
let phase: Phase = "fill";
runWorkload(workload, backend, {
  onPhase(name, result) {
    if (result && name !== "drained") {
      shot = snapshotHeap(backend.heap);
      phase = name;
    }
  },
});
await Deno.writeTextFile(
  values.out,
  await heapMap(shot!, `Heap map: ${workload.name} after its ${phase} phase`),
);
console.log(`${values.out}: ${workload.name} after ${phase}`);
