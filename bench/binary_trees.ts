/**
 * `deno run -A bench/binary_trees.ts [js|heap|pool|pool-reset|all] [depth]
 * [rounds]` ({@linkcode HELP}): the Computer Language Benchmarks Game's
 * binary trees (depth 18 by default, from 4 to 24), the same trees, check
 * walk and checksum in every kind:
 *
 * - `js`: nodes as plain JS objects, dropped to the garbage collector.
 * - `heap`: 24-byte blocks on a Heap, each freed by a walk of its tree.
 * - `pool`: 24-byte blocks on one Pool, each freed by a walk of its tree.
 * - `pool-reset`: as the benchmark's C entries that use a memory pool
 *   (APR pools): the long-lived tree in one Pool, the stretch tree and each
 *   short-lived tree in a second Pool on the same pages, each dropped after
 *   its check walk by one `reset()` of its pool, with no walk and no
 *   per-node free (after the stretch tree, a `trim()` too, as the C entries
 *   destroy its pool).
 *
 * Prints nanoseconds per node made and the process's peak RSS (VmHWM from
 * /proc/self/status). With `all` (the default) it runs each kind in a
 * subprocess of its own, so that each peak RSS is its own, `rounds` times
 * (3 by default) in turn, and then prints each kind's fastest round and its
 * time and peak RSS as ratios to the JS objects' (the median of the rounds'
 * ratios): on a shared machine a round is compared with the JS round run
 * just before it, never across runs.
 *
 * A node block: [left u32 │ right u32 │ 16 bytes unused] (the Heap's
 * smallest class above 16 is 32 bytes, so 24 is what the Pool saves). Each
 * node's two links are written, 0 in a leaf, as a JS object literal writes
 * both fields, so the blocks come from `allocUnsafe` (no zeroing first).
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { main, positionalArgs, type PositionalValues } from "./_cli.ts";
import { defaultPages, OsPages } from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";

const NODE = 24;

interface Node {
  left: Node | null;
  right: Node | null;
}

function jsTree(depth: number): Node {
  return depth === 0
    ? { left: null, right: null }
    : { left: jsTree(depth - 1), right: jsTree(depth - 1) };
}

function jsCheck(node: Node): number {
  return node.left === null ? 1 : 1 + jsCheck(node.left) + jsCheck(node.right!);
}

/** The same trees as blocks of any allocator with alloc() and free(). */
function blockTrees(
  alloc: () => number,
  free: (p: number) => void,
  u32: Uint32Array,
) {
  const make = (depth: number): number => {
    const p = alloc();
    if (depth > 0) {
      u32[p >>> 2] = make(depth - 1);
      u32[(p >>> 2) + 1] = make(depth - 1);
    } else {
      u32[p >>> 2] = 0;
      u32[(p >>> 2) + 1] = 0;
    }
    return p;
  };
  const check = (p: number): number => {
    const left = u32[p >>> 2];
    return left === 0 ? 1 : 1 + check(left) + check(u32[(p >>> 2) + 1]);
  };
  const drop = (p: number): void => {
    const left = u32[p >>> 2];
    if (left !== 0) {
      drop(left);
      drop(u32[(p >>> 2) + 1]);
    }
    free(p);
  };
  return { make, check, drop };
}

/** How one kind makes, checks and drops a tree. */
interface Trees<T> {
  make: (depth: number) => T;
  check: (tree: T) => number;
  drop: (tree: T) => void;
}

/**
 * Runs the benchmark with `long` for the long-lived tree, `stretch` for the
 * first tree and `short` for the others; returns the nodes made.
 */
function run<T>(
  maxDepth: number,
  short: Trees<T>,
  long: Trees<T> = short,
  stretch: Trees<T> = short,
): number {
  let nodes = 0;
  const first = stretch.make(maxDepth + 1);
  nodes += stretch.check(first);
  stretch.drop(first);
  const longLived = long.make(maxDepth);
  for (let depth = 4; depth <= maxDepth; depth += 2) {
    const iterations = 2 ** (maxDepth - depth + 4);
    let sum = 0;
    for (let i = 0; i < iterations; i++) {
      const t = short.make(depth);
      sum += short.check(t);
      short.drop(t);
    }
    nodes += sum;
  }
  nodes += long.check(longLived);
  long.drop(longLived);
  return nodes;
}

function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

function measure(kind: string, depth: number): void {
  let nodes: number;
  const started = performance.now();
  if (kind === "js") {
    nodes = run(depth, {
      make: jsTree,
      check: jsCheck,
      drop: () => {},
    });
  } else if (kind === "heap") {
    const heap = new Heap({ pages: new OsPages() });
    nodes = run(
      depth,
      blockTrees(
        () => heap.allocUnsafe(NODE),
        (p) => heap.free(p, NODE),
        heap.memory.u32,
      ),
    );
  } else if (kind === "pool") {
    const pool = new Pool({ blockSize: NODE });
    nodes = run(
      depth,
      blockTrees(
        () => pool.allocUnsafe(),
        (p) => pool.free(p),
        pool.memory.u32,
      ),
    );
  } else if (kind === "pool-reset") {
    // Both pools on one page source, so that one view reads both trees.
    const pages = defaultPages();
    const long = new Pool({ blockSize: NODE, parent: pages });
    const short = new Pool({ blockSize: NODE, parent: pages });
    const u32 = pages.memory.u32;
    const noFree = () => {
      throw new Error("pool-reset frees no node on its own");
    };
    // One allocating closure and one tree builder for both pools (two
    // would make the builder's call polymorphic): `into` says which.
    let into = short;
    const t = blockTrees(() => into.allocUnsafe(), noFree, u32);
    const inShort = (d: number) => {
      into = short;
      return t.make(d);
    };
    const inLong = (d: number) => {
      into = long;
      return t.make(d);
    };
    nodes = run(
      depth,
      { make: inShort, check: t.check, drop: () => short.reset() },
      { make: inLong, check: t.check, drop: () => long.reset() },
      // As the C entries destroy the stretch tree's pool: its slabs go
      // back to the pages, where both pools take them again.
      {
        make: inShort,
        check: t.check,
        drop: () => {
          short.reset();
          short.trim();
        },
      },
    );
  } else {
    throw new TypeError(
      `Kind must be js, heap, pool or pool-reset, got ${kind}`,
    );
  }
  const ms = performance.now() - started;
  console.log(JSON.stringify({
    kind,
    depth,
    nodes,
    nsPerNode: +(ms * 1e6 / nodes).toFixed(2),
    peakRssMiB: +(peakRss() / 2 ** 20).toFixed(1),
  }));
}

const KINDS = ["js", "heap", "pool", "pool-reset"] as const;

/**
 * The positional arguments. Depth from 4, the first short-lived trees'
 * depth, to 24: the stretch tree of depth 25 is then 2^26 blocks of 32
 * bytes, half the 4 GiB that the u32 links (and OsPages' default
 * reservation) reach.
 */
export const ARGS = [
  { name: "kind", words: ["all", ...KINDS], default: "all" },
  { name: "depth", min: 4, max: 24, default: 18 },
  { name: "rounds", min: 1, max: 100, default: 3 },
] as const;

/** The `--help` text. */
export const HELP = `\
deno run -A bench/binary_trees.ts [kind] [depth] [rounds]

The binary trees benchmark (the Computer Language Benchmarks Game's) in each
kind: ns per node made and the peak RSS.

  kind    ${ARGS[0].words.join(", ")} (default: all, each kind in a
          subprocess of its own, rounds times, with ratios to js)
  depth   the trees' depth, from 4 to 24 (default: 18)
  rounds  with all, rounds of every kind, from 1 to 100 (default: 3)`;

/**
 * Parses the command line (`positionalArgs`).
 *
 * @example
 * ```ts
 * import { parseBinaryTreesArgs } from "./binary_trees.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseBinaryTreesArgs(["heap", "10"]), {
 *   kind: "heap",
 *   depth: 10,
 *   rounds: 3,
 *   help: false,
 * });
 * ```
 *
 * @param args The arguments.
 * @returns kind, depth and rounds; throws a TypeError naming a bad one.
 */
export function parseBinaryTreesArgs(
  args: string[],
): PositionalValues<typeof ARGS> {
  return positionalArgs(args, ARGS);
}

interface Result {
  kind: string;
  nsPerNode: number;
  peakRssMiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

if (import.meta.main) {
  await main(parseBinaryTreesArgs, HELP, ({ kind, depth, rounds }) => {
    if (kind !== "all") return measure(kind, depth);
    const results: Result[][] = [];
    for (let r = 0; r < rounds; r++) {
      const round: Result[] = [];
      for (const k of KINDS) {
        const out = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            // Reading /proc/self/status needs every permission.
            "-A",
            new URL(import.meta.url).pathname,
            k,
            String(depth),
          ],
        }).outputSync();
        Deno.stdout.writeSync(out.stdout);
        Deno.stderr.writeSync(out.stderr);
        round.push(JSON.parse(new TextDecoder().decode(out.stdout)));
      }
      results.push(round);
    }
    KINDS.forEach((k, i) => {
      const runs = results.map((round) => round[i]);
      console.log(JSON.stringify({
        kind: k,
        fastestNsPerNode: Math.min(...runs.map((x) => x.nsPerNode)),
        timeVsJs: +median(
          results.map((round) => round[i].nsPerNode / round[0].nsPerNode),
        ).toFixed(2),
        rssVsJs: +median(
          results.map((round) => round[i].peakRssMiB / round[0].peakRssMiB),
        ).toFixed(2),
      }));
    });
  });
}
