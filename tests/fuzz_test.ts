// The process-safety fuzz (tests/_fuzz.ts) in a subprocess, so that a crash
// of the process — not just a thrown error — fails this test. CI runs a short
// version; `deno task fuzz` runs 10^7 operations per target. Then the fuzz's
// own checks, each shown to catch an allocator with one planted bug.
import assert from "node:assert/strict";
import type { Allocator } from "../os/mod.ts";
import { fuzz, select, type Target, targets } from "./_fuzz.ts";
import { sources } from "./_sources.ts";
import { heapSubject } from "./_subjects.ts";

const OPS = 50_000;
const QUIET = { ops: Infinity, ms: Infinity, print: () => {} };

/** Every allocator and page source, in the fuzz's order. */
const NAMES = [
  "Heap on OsPages",
  "Heap on BufferPages",
  "Heap on WasmPages",
  "Heap on SharedPages",
  "WorkerHeap on SharedPages",
  "Arena on OsPages",
  "Arena on BufferPages",
  "Arena on WasmPages",
  "Arena on SharedPages",
  "Arena on Heap on OsPages",
  "Arena on Heap on BufferPages",
  "Arena on Heap on WasmPages",
  "Arena on Heap on SharedPages",
  "FixedAllocator",
  "DebugAllocator on a Heap",
  "OsPages",
  "BufferPages",
  "WasmPages",
  "SharedPages",
  "Pool on OsPages",
  "Pool on BufferPages",
  "Pool on WasmPages",
  "Pool on SharedPages",
  "Pool on a Heap",
  "Pool of 40-byte blocks",
];

async function runFuzz(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-env=FUZZ_OPS,FUZZ_SEED,FUZZ_TARGET",
      new URL("./_fuzz.ts", import.meta.url).pathname,
    ],
    env: { FUZZ_SEED: "", FUZZ_TARGET: "", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(
    out.code,
    0,
    `the fuzz process failed (signal ${out.signal}):\n${stderr}`,
  );
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return { report: JSON.parse(lines.at(-1)!), stderr: stderr.split("\n") };
}

Deno.test("fuzz: random calls, one in ten bad, on every allocator, in a subprocess", async () => {
  const { report, stderr } = await runFuzz({ FUZZ_OPS: String(OPS) });
  assert.equal(report.seed, 12345);
  assert.equal(report.ops, OPS);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(Object.keys(report.opsPerSecond), NAMES);
  assert.equal(
    stderr[0],
    `fuzz: seed 12345 (FUZZ_SEED), ${OPS} operations (FUZZ_OPS) on each of 25 targets (FUZZ_TARGET)`,
  );
  const done = stderr.filter((l) => l.endsWith(": ok"));
  assert.deepEqual(
    done.map((l) =>
      l.match(/^fuzz: (.+): (\d+) operations in [\d.]+ s, \d+ ops\/s: ok$/)
        ?.slice(1)
    ),
    NAMES.map((n) => [n, String(OPS)]),
  );
});

Deno.test("fuzz: FUZZ_TARGET and FUZZ_SEED choose the targets and the random seed", async () => {
  const { report, stderr } = await runFuzz({
    FUZZ_OPS: "1000",
    FUZZ_SEED: "7",
    FUZZ_TARGET: "wasmpages,Arena on Heap on Shared",
  });
  assert.equal(report.seed, 7);
  assert.deepEqual(report.failed, []);
  assert.deepEqual(Object.keys(report.opsPerSecond), [
    "Arena on Heap on SharedPages",
    "WasmPages",
  ]);
  assert.equal(
    stderr[0],
    "fuzz: seed 7 (FUZZ_SEED), 1000 operations (FUZZ_OPS) on each of 2 targets (FUZZ_TARGET)",
  );
});

Deno.test("fuzz: FUZZ_TARGET is a comma list of names or parts of them, case-insensitive", () => {
  const names = (filter: string) => select(filter).map((t) => t.name);
  assert.deepEqual(names(""), NAMES);
  assert.deepEqual(names(" arena on heap , fixed"), [
    "Arena on Heap on OsPages",
    "Arena on Heap on BufferPages",
    "Arena on Heap on WasmPages",
    "Arena on Heap on SharedPages",
    "FixedAllocator",
  ]);
  // A whole name is that target alone; a part is every target it is in.
  assert.deepEqual(names("ospages"), ["OsPages"]);
  assert.deepEqual(names("ospage"), [
    "Heap on OsPages",
    "Arena on OsPages",
    "Arena on Heap on OsPages",
    "OsPages",
    "Pool on OsPages",
  ]);
  assert.throws(() => select("zebra"), {
    name: "RangeError",
    message:
      /^FUZZ_TARGET "zebra" matches no target; the targets are: Heap on OsPages, Heap on BufferPages, /,
  });
  assert.deepEqual(targets.map((t) => t.name), NAMES);
});

Deno.test("fuzz: a progress line every so many operations", () => {
  const lines: string[] = [];
  const result = fuzz(select("BufferPages")[0], 2 ** 17, 3, {
    ops: 2 ** 15,
    ms: Infinity,
    print: (line) => lines.push(line),
  });
  assert.equal(result.error, undefined);
  assert.deepEqual(
    lines.map((l) => l.replace(/, \d+ ops\/s$/, "")),
    [32768, 65536, 98304, 131072].map((n) =>
      `fuzz: BufferPages: ${n} of 131072 operations`
    ),
  );
});

/** A Heap on BufferPages whose calls go through `bug` where it has one. */
function buggy(bug: (heap: Allocator) => Partial<Allocator>): Target {
  return {
    name: "Heap with a bug",
    make: () => {
      const subject = heapSubject(sources[1]);
      const heap = subject.allocator;
      const allocator: Allocator = {
        memory: heap.memory,
        alloc: (size) => heap.alloc(size),
        resize: (ptr, oldSize, newSize) => heap.resize(ptr, oldSize, newSize),
        free: (ptr, size) => heap.free(ptr, size),
        ...bug(heap),
      };
      return { ...subject, allocator };
    },
  };
}

/** Planted bugs, and the check that must catch each. */
const BUGS: [string, (heap: Allocator) => Partial<Allocator>, RegExp][] = [
  [
    "an allocation handed out while it is live",
    (heap) => {
      const live = new Map<number, number>();
      let calls = 0;
      return {
        alloc: (size) => {
          const ptr = heap.alloc(size);
          const old = [...live].find(([, n]) => n >= 8)?.[0];
          if (++calls > 100 && size > 0 && old !== undefined) return old;
          live.set(ptr, size);
          return ptr;
        },
        resize: (ptr, oldSize, newSize) => {
          live.delete(ptr);
          const moved = heap.resize(ptr, oldSize, newSize);
          if (moved !== 0) live.set(moved, newSize);
          return moved;
        },
        free: (ptr, size) => {
          live.delete(ptr);
          heap.free(ptr, size);
        },
      };
    },
    /: block \d+ of \d+ bytes reads \d+ at byte 0 \(a fresh allocation, not zero\)$/,
  ],
  [
    "a refused call that leaks",
    (heap) => ({
      alloc: (size) => {
        if (size < 0) heap.alloc(16);
        return heap.alloc(size);
      },
    }),
    /: alloc\(-1\) changed the counters: /,
  ],
  [
    "a bad call taken",
    (heap) => ({
      free: (ptr, size) => Number.isNaN(ptr) ? undefined : heap.free(ptr, size),
    }),
    /: free\(NaN, 16\) was not refused$/,
  ],
  [
    "a resize that moves without copying",
    (heap) => ({
      resize: (ptr, oldSize, newSize) => {
        if (newSize <= oldSize || oldSize === 0) {
          return heap.resize(ptr, oldSize, newSize);
        }
        const moved = heap.alloc(newSize);
        heap.free(ptr, oldSize);
        return moved;
      },
    }),
    /: block \d+ of \d+ bytes reads 0 at byte 0 \(the bytes a resize kept\)$/,
  ],
  [
    "a free that keeps a large block",
    (heap) => ({
      free: (ptr, size) => size > 2016 ? undefined : heap.free(ptr, size),
    }),
    /: \d+ bytes used, the model says \d+$/,
  ],
];

Deno.test("fuzz: each check catches a planted bug, at the same operation from the same seed", async (t) => {
  for (const [name, bug, caught] of BUGS) {
    await t.step(name, () => {
      const first = fuzz(buggy(bug), 20_000, 1, QUIET);
      const again = fuzz(buggy(bug), 20_000, 1, QUIET);
      const line = first.error?.split("\n")[0] ?? "";
      assert.match(line, /^Error: Heap with a bug, operation \d+: /);
      assert.match(line, caught);
      assert.equal(again.error?.split("\n")[0], line);
      assert.equal(again.ops, first.ops);
    });
  }
});
