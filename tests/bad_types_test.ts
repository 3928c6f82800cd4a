// Arguments of the wrong type, as one table: every public method of every
// allocator that takes a size, an alignment, a pointer, a mark or an index,
// given a bigint, a string, an array, an object, null, a boolean or a symbol
// where a number is expected (and undefined where the argument is
// required). Each must throw a TypeError that names the argument and what
// it was given, and change nothing: the shared check (tests/_assert_refused.ts)
// compares the counters before and after, validates, and checks against a
// twin that never saw the call that the next allocation comes out the same.
// Numbers that are no sizes or pointers (negative, NaN, too big) are the
// contract suite's (tests/_conformance.ts) and the error tests'.
import { Heap, type WorkerHeap } from "../heap/mod.ts";
import { SharedPages } from "../os/mod.ts";
import { defineRecord } from "../record/mod.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";
import { parents } from "./_arena_parents.ts";
import { sources } from "./_sources.ts";
import * as subjects from "./_subjects.ts";
import type { Subject } from "./_subjects.ts";

/** A value of the wrong type, and how a message names it. */
type Bad = [label: string, value: unknown, kind: string];

export const WRONG_TYPES: Bad[] = [
  ["10n", 10n, "bigint"],
  ['"64"', "64", "string"],
  ["[64]", [64], "object"],
  ["{}", {}, "object"],
  ["null", null, "null"],
  ["true", true, "boolean"],
  ["Symbol()", Symbol(), "symbol"],
];
export const UNDEFINED: Bad = ["undefined", undefined, "undefined"];

/** The arguments, as their messages name them. */
type Arg = "Size" | "Old size" | "New size" | "Alignment" | "Pointer" | "Mark";

/** What a message says for `arg` given a value of `kind`. */
export function message(arg: Arg, kind: string): RegExp {
  const what = arg === "Alignment"
    ? "Alignment must be a number( \\([^)]*\\))?"
    : arg === "Mark"
    ? "Mark must be a number from mark\\(\\)"
    : `${arg} must be a number`;
  return new RegExp(`^${what}, got ${kind}$`);
}

// Anything the allocators' own types would refuse to compile.
// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * One method call with one bad argument: its name (`_` for the bad value),
 * the call on the subject's allocator with a live 64-byte allocation `p`,
 * the argument, and whether it is required (then undefined is bad too).
 */
type Call = [
  name: string,
  call: (a: Any, p: number, bad: unknown) => unknown,
  arg: Arg,
  required: boolean,
];

/** Allocator.alloc, allocUnsafe, free and resize: every allocator's. */
const ALLOCATOR: Call[] = [
  ["alloc(_)", (a, _p, x) => a.alloc(x), "Size", true],
  ["alloc(64, _)", (a, _p, x) => a.alloc(64, x), "Alignment", false],
  ["alloc(_, 16)", (a, _p, x) => a.alloc(x, 16), "Size", true],
  ["allocUnsafe(_)", (a, _p, x) => a.allocUnsafe(x), "Size", true],
  [
    "allocUnsafe(64, _)",
    (a, _p, x) => a.allocUnsafe(64, x),
    "Alignment",
    false,
  ],
  ["allocUnsafe(_, 16)", (a, _p, x) => a.allocUnsafe(x, 16), "Size", true],
  ["free(_, 64)", (a, _p, x) => a.free(x, 64), "Pointer", true],
  ["free(p, _)", (a, p, x) => a.free(p, x), "Size", true],
  ["resize(_, 64, 128)", (a, _p, x) => a.resize(x, 64, 128), "Pointer", true],
  ["resize(p, _, 128)", (a, p, x) => a.resize(p, x, 128), "Old size", true],
  ["resize(p, 64, _)", (a, p, x) => a.resize(p, 64, x), "New size", true],
  [
    "resize(p, 64, 128, _)",
    (a, p, x) => a.resize(p, 64, 128, x),
    "Alignment",
    false,
  ],
];

/** Sizes that a call may leave out (a pool's, a heap's free). */
const optionalSize = (calls: Call[], names: string[]): Call[] =>
  calls.map((
    [name, call, arg, required],
  ) => [name, call, arg, required && !names.includes(name)]);

const HEAP: Call[] = [
  ...optionalSize(ALLOCATOR, ["free(p, _)"]),
  ["free(_)", (a, _p, x) => a.free(x), "Pointer", true],
  ["realloc(_, 128)", (a, _p, x) => a.realloc(x, 128), "Pointer", true],
  ["realloc(p, _)", (a, p, x) => a.realloc(p, x), "Size", true],
  ["usableSize(_)", (a, _p, x) => a.usableSize(x), "Pointer", true],
  ["inspect(_)", (a, _p, x) => a.inspect(x), "Pointer", true],
];

// A free may leave the size out, as the heap's may: of its own block, and
// remotely of another worker's (see "WorkerHeap, a remote free").
const WORKER_HEAP: Call[] = [
  ...optionalSize(ALLOCATOR, ["free(p, _)"]),
  ["usableSize(_)", (a, _p, x) => a.usableSize(x), "Pointer", true],
];

const POOL: Call[] = [
  ...optionalSize(ALLOCATOR, [
    "alloc(_)",
    "alloc(_, 16)",
    "allocUnsafe(_)",
    "allocUnsafe(_, 16)",
    "free(p, _)",
  ]),
  ["free(_)", (a, _p, x) => a.free(x), "Pointer", true],
];

const ARENA: Call[] = [
  ...ALLOCATOR,
  ["pop(_)", (a, _p, x) => a.pop(x), "Mark", true],
];

const PAGES: Call[] = [
  ...ALLOCATOR,
  ["allocDirty(_)", (a, _p, x) => a.allocDirty(x), "Size", true],
  ["allocDirty(64, _)", (a, _p, x) => a.allocDirty(64, x), "Alignment", false],
  ["extend(_, 64, 8192)", (a, _p, x) => a.extend(x, 64, 8192), "Pointer", true],
  ["extend(p, _, 8192)", (a, p, x) => a.extend(p, x, 8192), "Old size", true],
  ["extend(p, 64, _)", (a, p, x) => a.extend(p, 64, x), "New size", true],
  ["discard(_, 64)", (a, _p, x) => a.discard(x, 64), "Pointer", true],
  ["discard(p, _)", (a, p, x) => a.discard(p, x), "Size", true],
  ["runSize(_)", (a, _p, x) => a.runSize(x), "Pointer", true],
];

const SHARED_PAGES: Call[] = [
  ...PAGES,
  ["ownerOf(_)", (a, _p, x) => a.ownerOf(x), "Pointer", true],
];

/**
 * An allocator kind: how to make one (twice: it and its twin, unless
 * `twin` is false — scratch regions share the thread's arenas), its calls.
 */
type Row = [
  name: string,
  make: () => Subject<unknown>,
  calls: Call[],
  twin?: boolean,
];

const buffer = sources.find((s) => s.name === "BufferPages")!;
const onBuffer = parents.find((p) => p.name === "BufferPages")!;
const onHeap = parents.find((p) => p.name === "Heap on BufferPages")!;

export const ROWS: Row[] = [
  ["Heap", () => subjects.heapSubject(buffer), HEAP],
  ["WorkerHeap", () => subjects.workerHeapSubject(), WORKER_HEAP],
  [
    "WorkerHeap, a remote free",
    () => subjects.workerHeapSubject(2 ** 24, { others: 1 }),
    WORKER_HEAP,
  ],
  ["Arena on BufferPages", () => subjects.arenaSubject(onBuffer), ARENA],
  ["Arena on a Heap", () => subjects.arenaSubject(onHeap), ARENA],
  ["scratch region", () => subjects.scratchSubject(), ALLOCATOR, false],
  [
    "FixedAllocator",
    () => subjects.fixedSubject(buffer, { length: 65536 }),
    ALLOCATOR,
  ],
  ["DebugAllocator", () => subjects.debugSubject(buffer), ALLOCATOR],
  ["Pool on BufferPages", () => subjects.poolSubject(buffer), POOL],
  [
    "Pool on a Heap",
    () => subjects.poolSubject(buffer, 2 ** 24, { onHeap: true }),
    POOL,
  ],
  ...sources.map((s): Row => [
    s.name,
    () => subjects.pagesSubject(s, { reserve: 2 ** 24 }),
    s.name === "SharedPages" ? SHARED_PAGES : PAGES,
  ]),
];

for (const [name, make, calls, twins = true] of ROWS) {
  Deno.test(`${name}: arguments of the wrong type are refused, changing nothing`, async (t) => {
    for (const [label, call, arg, required] of calls) {
      await t.step({
        name: label,
        fn: () => {
          // The allocation `p` of the calls; a remote one for a WorkerHeap
          // among others (owned by the other, freed by this heap).
          const live = (s: Subject<unknown>) =>
            ((s.handles as { others?: WorkerHeap[] }).others?.[0] ??
              s.allocator).alloc(64);
          using s = make();
          const p = live(s);
          using twin = twins ? make() : undefined;
          if (twin !== undefined && live(twin) !== p) {
            throw new Error("the twin's allocation is elsewhere");
          }
          for (
            const [bad, value, kind] of required
              ? [...WRONG_TYPES, UNDEFINED]
              : WRONG_TYPES
          ) {
            try {
              assertRefusedUnchanged(s, () => call(s.allocator, p, value), {
                error: TypeError,
                message: message(arg, kind),
              }, twin);
            } catch (e) {
              throw new Error(`${label} with ${bad}: ${(e as Error).message}`, {
                cause: e,
              });
            }
          }
        },
      });
    }
  });
}

// Record layouts and arrays: addresses and indexes.
const P = defineRecord("P", { x: "f64", y: "f64" });

Deno.test("record layouts and arrays: arguments of the wrong type are refused", async (t) => {
  using heap = new Heap({ pages: new SharedPages({ reserve: 2 ** 22 }) });
  const ptr = heap.alloc(64);
  const array = P.array(heap.memory, ptr, 4);
  const calls: [string, (x: Any) => unknown, string, RegExp][] = [
    ["P.at(_, 0)", (x) => P.at(x, 0), "Base", /^Base must be a number/],
    ["P.at(0, _)", (x) => P.at(0, x), "Index", /^Index must be a number/],
    [
      "P.array(memory, _, 4)",
      (x) => P.array(heap.memory, x, 4),
      "Pointer",
      /^Pointer must be a number/,
    ],
    [
      "P.array(memory, ptr, _)",
      (x) => P.array(heap.memory, ptr, x),
      "Length",
      /^Length must be a number/,
    ],
    ["array.at(_)", (x) => array.at(x), "Index", /^Index must be a number/],
  ];
  for (const [label, call] of calls) {
    await t.step(label, () => {
      for (const [, value, kind] of [...WRONG_TYPES, UNDEFINED]) {
        assertRefusedUnchanged(
          { state: () => [heap.bytesUsed, array.ptr, array.length] },
          () => call(value),
          { error: TypeError, message: new RegExp(`, got ${kind}$`) },
        );
      }
    });
  }
});
