/**
 * The heap map of a workload (`deno task heap-map`; `--help` lists the
 * options, {@linkcode HELP}). Runs the workload on a Heap on BufferPages and,
 * at the end of one phase, draws every page of the heap's range as one cell
 * (`_heap_map.ts`). By default that phase is the last one before the drain
 * that leaves blocks live ({@linkcode livePhase}): what the heap holds while
 * the workload runs, not the empty heap it ends with.
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { HeapBackend } from "./backends/heap.ts";
import { main, strictArgs } from "./_cli.ts";
import { heapMap } from "./_heap_map.ts";
import { type HeapSnapshot, snapshotHeap } from "./_heap_snapshot.ts";
import {
  type Phase,
  requested,
  runWorkload,
  type Workload,
  WORKLOADS,
} from "./workloads.ts";

/** Where the map goes by default: `bench/out/`, which git ignores. */
export const DEFAULT_OUT = fileURLToPath(
  new URL("./out/heap-map.svg", import.meta.url),
);

/** The `--help` text. */
export const HELP = `\
deno task heap-map [options]   (deno run --allow-write bench/heap_map.ts)

Runs a workload on a Heap on BufferPages and draws the heap's pages at the end
of one phase as an SVG map, one cell per 4 KiB page.

  --workload NAME  the workload (default: log_mixed)
  --phase NAME     the phase to draw (default: the last one before the drain
                   that leaves blocks live: churn, pinned or grow; fill for
                   the ramps, whose free phase frees every block)
  --out FILE.svg   where to write the map (default: bench/out/heap-map.svg)
  -h, --help       print this and exit

workloads: ${WORKLOADS.map((w) => w.name).join(", ")}
phases:    fill, then churn, free, pinned or grow (by workload), drained
           (if blocks were left), released`;

/** The options of the heap map, parsed from the command line. */
export interface HeapMapOptions {
  /** The workload to run. */
  workload: Workload;
  /** The phase to draw. */
  phase: Phase;
  /** The SVG file to write. */
  out: string;
  /** Print {@linkcode HELP} and nothing else. */
  help: boolean;
}

/**
 * The phases a workload reports on a heap, in order.
 *
 * @param workload The workload.
 * @returns Its phases, `released` last.
 */
export function phasesOf(workload: Workload): Phase[] {
  return [...Object.keys(requested(workload)) as Phase[], "released"];
}

/**
 * The last phase before the drain that leaves blocks live.
 *
 * @param workload The workload.
 * @returns The phase.
 */
export function livePhase(workload: Workload): Phase {
  const req = requested(workload);
  return (Object.keys(req) as Phase[]).findLast((p) =>
    p !== "drained" && req[p] > 0
  )!;
}

/**
 * Parses the command line.
 *
 * @param args The arguments.
 * @returns The options; throws a TypeError naming a bad one.
 */
export function parseHeapMapOptions(args: string[]): HeapMapOptions {
  const values = strictArgs(args, {
    workload: { type: "string", default: "log_mixed" },
    phase: { type: "string" },
    out: { type: "string", default: DEFAULT_OUT },
    help: { type: "boolean", short: "h", default: false },
  });
  const workload = WORKLOADS.find((w) => w.name === values.workload);
  if (!workload) {
    throw new TypeError(
      `Unknown workload "${values.workload}"; known: ${
        WORKLOADS.map((w) => w.name).join(", ")
      }`,
    );
  }
  const phases = phasesOf(workload);
  if (values.phase !== undefined && !phases.includes(values.phase as Phase)) {
    throw new TypeError(
      `Workload ${workload.name} has no phase "${values.phase}"; its phases: ${
        phases.join(", ")
      }`,
    );
  }
  return {
    workload,
    phase: (values.phase as Phase | undefined) ?? livePhase(workload),
    out: values.out,
    help: values.help,
  };
}

/**
 * Runs a workload on a heap on BufferPages and takes its state at the end of
 * one phase.
 *
 * @param workload The workload.
 * @param phase One of its phases.
 * @returns The heap's state then.
 */
export function snapshotAt(workload: Workload, phase: Phase): HeapSnapshot {
  const backend = HeapBackend.make("heap-buffer");
  let shot: HeapSnapshot | undefined;
  runWorkload(workload, backend, {
    onPhase(name, result) {
      if (result && name === phase) shot = snapshotHeap(backend.heap);
    },
  });
  if (!shot) throw new RangeError(`${workload.name} has no ${phase} phase`);
  return shot;
}

if (import.meta.main) {
  await main(parseHeapMapOptions, HELP, async ({ workload, phase, out }) => {
    const svg = await heapMap(
      snapshotAt(workload, phase),
      `Heap map: ${workload.name} after its ${phase} phase`,
    );
    await Deno.mkdir(dirname(out), { recursive: true });
    await Deno.writeTextFile(out, svg);
    console.log(`${out}: ${workload.name} after its ${phase} phase`);
  });
}
