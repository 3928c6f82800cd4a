// What the heap's table tests share (heap_examples_test.ts,
// heap_resize_test.ts, heap_safety_test.ts, heap_lifecycle_test.ts): each
// case is a list of operations on a fresh heap (on a fresh page source of
// each kind) and the state expected afterwards, run by the shared executor,
// which also checks that every refused call changed nothing.
import assert from "node:assert/strict";
import type { Heap } from "../heap/mod.ts";
import type { PageSource } from "../os/mod.ts";
import {
  type Case,
  type Env as RunEnv,
  type Kind,
  type Op as RunOp,
  runCase,
} from "./_run_ops.ts";
import { heapSubject } from "./_subjects.ts";
import { sources } from "./_sources.ts";

type Handles = { heap: Heap; pages: PageSource };
export type Env = RunEnv<Handles>;

/** The heap's own operations, besides the Allocator ones. */
const ops = {
  /** free(ptr), malloc-style, without the size. */
  freeUnsized: (env: Env, name: string) => env.heap.free(env.ptr[name]),
  /** trim(): kept medium runs and empty segments go back to the page source. */
  trim: (env: Env) => void env.heap.trim(),
  /** as = realloc(name, n) */
  realloc: (env: Env, as: string, name: string, n: number) => {
    env.ptr[as] = env.heap.realloc(env.ptr[name], n);
    env.size[as] = n;
  },
};

export type Op = RunOp<Handles, typeof ops>;

/** The heap's own expectations; every other name is a counter of heapSubject. */
interface HeapExpect {
  spans?: number;
  large?: number;
  empty?: number;
  segments?: number;
  used?: number;
  reserved?: number;
  /** heap.retainedBytes: freed medium runs kept for reuse. */
  kept?: number;
  peak?: number;
  /** pages.liveBytes */
  pagesLive?: number;
  sameSpan?: [string, string][];
  otherSpan?: [string, string][];
  /** The whole chunk (small) or requested size (large) reads as zero. */
  chunkZero?: string[];
  /** [name, class size or "large", capacity for large]. */
  kind?: [string, number | "large", number?][];
}

/** A named case of the table. */
export interface HeapCase extends Case<Handles, typeof ops, HeapExpect> {
  reserve?: number;
  /** Skip the closing validate() + alloc (the heap is destroyed or full). */
  skipClosing?: boolean;
}

const span = (env: Env, n: string) => Math.floor(env.ptr[n] / 4096);

const heapKind: Kind<Handles, typeof ops, HeapExpect> = {
  ops,
  checks: {
    sameSpan: (env, pairs) => {
      for (const [a, b] of pairs) {
        assert.equal(
          span(env, a),
          span(env, b),
          `${a} and ${b} are in different spans`,
        );
      }
    },
    otherSpan: (env, pairs) => {
      for (const [a, b] of pairs) {
        assert.notEqual(
          span(env, a),
          span(env, b),
          `${a} and ${b} share a span`,
        );
      }
    },
    chunkZero: (env, names) => {
      for (const n of names) {
        const info = env.heap.inspect(env.ptr[n]);
        assert.ok(info, `${n} is in no span or block`);
        const length = info.kind === "span" ? info.classSize : env.size[n];
        const p = env.ptr[n];
        const bytes = env.heap.memory.u8.subarray(p, p + length);
        assert.ok(bytes.every((b) => b === 0), `${n} is not zero`);
      }
    },
    kind: (env, kinds) => {
      for (const [n, kind, capacity] of kinds) {
        const info = env.heap.inspect(env.ptr[n]);
        if (kind === "large") {
          assert.equal(info?.kind, "large", `${n} is not large`);
          assert.equal(info.ptr, env.ptr[n]);
          assert.equal(info.capacity, capacity);
        } else {
          assert.equal(info?.kind, "span", `${n} is not small`);
          assert.equal(info.classSize, kind, `class of ${n}`);
        }
      }
    },
  },
};

/** The heap is consistent and still works. */
const closing = ({ heap }: Env) => {
  heap.validate();
  const p = heap.alloc(24);
  assert.ok(p > 0 && p % 16 === 0);
  heap.free(p, 24);
  heap.validate();
};

/** A segment's bytes, and the heap's own page. */
export const SEG = 65536;
export const SELF = 4096;
/** n allocations of `size`, named prefix0, prefix1, … */
export const allocs = (n: number, size: number, prefix = "a"): Op[] =>
  Array.from({ length: n }, (_, i) => ["alloc", `${prefix}${i}`, size]);

// a0 and a1 fill a span of 2016-byte chunks and a2 starts a second; freeing
// a0 and a1 empties the first while the second is partial too, so the first
// is released to the empty-span list (a class keeps only an only span).
export const released2016: Op[] = [
  ...allocs(3, 2016),
  ["freeUnsized", "a0"],
  ["freeUnsized", "a1"],
];

/** Registers one `Deno.test` per table, a step per page source and case. */
export function heapTables(tables: [string, HeapCase[]][]): void {
  for (const [title, cases] of tables) {
    Deno.test(`Heap: ${title}`, async (t) => {
      for (const source of sources) {
        for (const k of cases) {
          await t.step(`${source.name}: ${k.name}`, () =>
            runCase(
              () => heapSubject(source, k.reserve),
              k,
              k.skipClosing ? heapKind : { ...heapKind, finish: closing },
            ));
        }
      }
    });
  }
}
