// Growing and shrinking the bookkeeping tables detaches the old copies, and
// V8 deoptimizes every function that reads typed arrays the first time it
// detaches a buffer that two views share (its ArrayBufferDetaching
// protector): the heap's fast paths would run slower from then on, and a
// function waiting in a fast FFI call when that happens aborts the process
// (sqlite on a heap did, its malloc hook growing a table). So no table's
// buffer has two views: a child process that grows and shrinks every table
// must not print V8's "Invalidating protector cell ArrayBufferDetaching".
import assert from "node:assert/strict";

const CHILD = `
import { Heap } from "./heap/mod.ts";
import { BufferPages, OsPages } from "./os/mod.ts";
for (const pages of [new BufferPages({ reserve: 2 ** 28 }), new OsPages()]) {
  const heap = new Heap({ pages, decayMs: Infinity });
  const blocks = [];
  // 64 MiB of small and large blocks: the span table and the page runs grow
  // many times.
  for (let i = 0; i < 4096; i++) blocks.push(heap.alloc(i % 2 ? 16384 : 48));
  for (let i = 0; i < 2048; i++) blocks.push(heap.alloc(65536 - i));
  for (const p of blocks) heap.free(p);
  heap.trim();
  pages.purge();
  console.log(heap.tableBytes, pages.tableBytes);
  // (No destroy: revoking a memory detaches its buffer, views and all.)
}
`;

Deno.test("table growth and shrinking never invalidate V8's detach protector", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--allow-ffi",
      "--v8-flags=--trace-protector-invalidation",
      CHILD,
    ],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.doesNotMatch(
    stdout,
    /Invalidating protector cell ArrayBufferDetaching/,
  );
  // Both ran, and shrank their tables back (the trace cannot pass vacuously).
  assert.deepEqual(
    stdout.trim().split("\n").filter((line) => /^\d+ \d+$/.test(line)),
    ["5932 34984", "5932 34984"],
  );
});
