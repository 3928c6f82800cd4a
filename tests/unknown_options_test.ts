// A misspelt option would be silently ignored (a JavaScript caller has no
// type check): every constructor that takes an options object refuses a key
// it does not know, naming it and listing the ones it has, and makes
// nothing.
import assert from "node:assert/strict";
import {
  Arena,
  BufferPages,
  DebugAllocator,
  defineRecord,
  FixedAllocator,
  Heap,
  OsPages,
  Pool,
  SharedPages,
  WasmPages,
  WorkerHeap,
} from "../mod.ts";
import { CAllocator } from "../ffi/mod.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

const PAGE_SOURCE = "reserve, decayMs, retain, clock";

const rows: [string, (typo: Record<string, unknown>) => unknown, string][] = [
  ["BufferPages", (o) => new BufferPages(o), PAGE_SOURCE],
  ["OsPages", (o) => new OsPages(o), PAGE_SOURCE],
  ["SharedPages", (o) => new SharedPages(o), PAGE_SOURCE],
  ["WasmPages", (o) => new WasmPages(o), `${PAGE_SOURCE}, memory, base`],
  ["Heap", (o) => new Heap(o), "pages, decayMs"],
  [
    "WorkerHeap",
    (o) => new WorkerHeap({ pages: new SharedPages(), ...o } as Loose),
    "pages, decayMs",
  ],
  ["Arena", (o) => new Arena(o), "parent, blockSize, alignment"],
  [
    "FixedAllocator",
    (o) =>
      new FixedAllocator(
        { memory: new BufferPages().memory, ptr: 4096, length: 64, ...o },
      ),
    "memory, ptr, length, alignment",
  ],
  [
    "DebugAllocator",
    (o) => new DebugAllocator({ parent: new BufferPages(), ...o }),
    "parent, redZone, quarantine, junk, stacks",
  ],
  [
    "Pool",
    (o) => new Pool({ blockSize: 16, ...o }),
    "blockSize, alignment, parent, slabSize, decayMs, clock",
  ],
  [
    "CAllocator",
    (o) => new CAllocator(new Heap({ pages: new OsPages() }), o),
    "maxBytes, onError",
  ],
  [
    "Record R",
    (o) => defineRecord("R", { a: "u8" }, o),
    "packed, align",
  ],
];

for (const [name, make, known] of rows) {
  Deno.test(`${name}: an option it does not know is refused`, () => {
    for (const typo of ["decayMS", "reserv", "aligment", "x"]) {
      assert.throws(() => make({ [typo]: 1 }), {
        name: "TypeError",
        message: `${name} has no option "${typo}": its options are ${known}`,
      });
    }
    // Every option it knows, left undefined, is taken.
    const all = Object.fromEntries(
      known.split(", ").map((key) => [key, undefined]),
    );
    if (name === "FixedAllocator" || name === "DebugAllocator") return;
    if (name === "Pool" || name === "WorkerHeap") return;
    make(all);
  });
}
