/**
 * `deno run -A bench/peak_release.ts [kind] [MiB]` ({@linkcode HELP}): what a
 * heap keeps after a peak. It fills a heap on `OsPages` with blocks of mixed
 * sizes (a log spread from 16 bytes to 64 KiB, and one block in 64 from
 * 64 KiB to 1 MiB) until `bytesUsed` reaches `MiB` (256 by default, from 1
 * to 2048), writing every byte; then frees them all, calls `heap.trim()` and `pages.purge()`, and prints the
 * bookkeeping's bytes (the heap's `tableBytes` and the page source's) and
 * the process's RSS (VmRSS) at the start, at the peak and after, with the
 * tables as a share of the peak.
 *
 * Kinds: `heap`, and `none` — the same loop with the same sizes and the
 * same pointer array, allocating nothing, so that what the script itself
 * and the JIT add to the RSS is seen beside it. Without a kind it runs both,
 * each in a subprocess of its own.
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";
import { main, positionalArgs, type PositionalValues } from "./_cli.ts";
import { Modulus, Xorshift64Star } from "./_xorshift.ts";

const MIB = 2 ** 20;

function rss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

// A size: one in 64 from 64 KiB to 1 MiB, else 2^e plus up to 2^e more
// bytes for e from 4 to 15 (the report's log shape, up to 64 KiB).
const ONE_IN_64 = new Modulus(64), BIG = new Modulus(15 * 65536);
const EXPONENT = new Modulus(12);
const SPREAD = Array.from({ length: 16 }, (_, e) => new Modulus(1 << e));

function nextSize(rng: Xorshift64Star): number {
  if (rng.below(ONE_IN_64) === 0) return 65536 + rng.below(BIG);
  const e = 4 + rng.below(EXPONENT);
  return Math.min((1 << e) + rng.below(SPREAD[e]), 65536);
}

/** One run's figures, in bytes. */
interface Figures {
  kind: string;
  blocks: number;
  peakUsed: number;
  rssStart: number;
  rssPeak: number;
  rssAfter: number;
  tablesPeak: number;
  tablesAfter: number;
}

/**
 * The positional arguments. Up to 2 GiB, half OsPages' default 4 GiB
 * reservation: room for the size classes' rounding and the tables.
 */
export const ARGS = [
  { name: "kind", words: ["all", "heap", "none"], default: "all" },
  { name: "mib", min: 1, max: 2048, default: 256 },
] as const;

/** The `--help` text. */
export const HELP = `\
deno run -A bench/peak_release.ts [kind] [mib]

Fills a heap on OsPages with blocks of mixed sizes up to a peak, frees them
all, trims and purges, and prints the RSS and the tables' bytes at the start,
the peak and after.

  kind  all, heap or none (the same loop allocating nothing) (default: all,
        none then heap, each in a subprocess of its own)
  mib   the peak's bytes used, in MiB, from 1 to 2048 (default: 256)`;

/**
 * Parses the command line (`positionalArgs`).
 *
 * @example
 * ```ts
 * import { parsePeakReleaseArgs } from "./peak_release.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parsePeakReleaseArgs(["none", "16"]), {
 *   kind: "none",
 *   mib: 16,
 *   help: false,
 * });
 * ```
 *
 * @param args The arguments.
 * @returns kind and mib; throws a TypeError naming a bad one.
 */
export function parsePeakReleaseArgs(
  args: string[],
): PositionalValues<typeof ARGS> {
  return positionalArgs(args, ARGS);
}

function measure(kind: "heap" | "none", target: number): Figures {
  const pages = kind === "heap" ? new OsPages() : null;
  const heap = pages === null ? null : new Heap({ pages });
  const ptrs = new Float64Array(target / 16);
  const sizes = new Float64Array(target / 16);
  const rssStart = rss();
  const rng = new Xorshift64Star();
  let used = 0, blocks = 0;
  while (used < target) {
    const size = nextSize(rng);
    if (heap !== null) {
      const p = heap.allocUnsafe(size);
      heap.memory.u8.fill(0x50, p, p + size);
      ptrs[blocks] = p;
    }
    sizes[blocks++] = size;
    used += size;
  }
  const tables = () =>
    heap === null ? 0 : heap.tableBytes + heap.pages.tableBytes;
  const rssPeak = rss(), tablesPeak = tables();
  if (heap !== null) {
    for (let i = 0; i < blocks; i++) heap.free(ptrs[i], sizes[i]);
    heap.trim();
    heap.pages.purge();
  }
  // With --v8-flags=--expose-gc: what is left once the garbage is collected.
  (globalThis as { gc?: () => void }).gc?.();
  const figures = {
    kind,
    blocks,
    peakUsed: used,
    rssStart,
    rssPeak,
    rssAfter: rss(),
    tablesPeak,
    tablesAfter: tables(),
  };
  heap?.destroy();
  pages?.destroy();
  return figures;
}

function show(f: Figures): string {
  const mib = (n: number) => (n / MIB).toFixed(2) + " MiB";
  const pct = (n: number) => (100 * n / f.peakUsed).toFixed(3) + "%";
  return [
    `${f.kind}: ${f.blocks} blocks, ${mib(f.peakUsed)} at the peak`,
    `  RSS: start ${mib(f.rssStart)}, peak ${mib(f.rssPeak)}, after ${
      mib(f.rssAfter)
    } (${mib(f.rssAfter - f.rssStart)} over the start)`,
    `  tables: peak ${mib(f.tablesPeak)} (${pct(f.tablesPeak)}), after ${
      mib(f.tablesAfter)
    } (${pct(f.tablesAfter)} of the peak)`,
  ].join("\n");
}

if (import.meta.main) {
  await main(parsePeakReleaseArgs, HELP, ({ kind, mib }) => {
    if (kind !== "all") {
      console.log(JSON.stringify(measure(kind, mib * MIB)));
      return;
    }
    for (const k of ["none", "heap"]) {
      const out = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename!, k, String(mib)],
        stderr: "inherit",
      }).outputSync();
      console.log(show(JSON.parse(new TextDecoder().decode(out.stdout))));
    }
  });
}
