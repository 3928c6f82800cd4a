// The process-safety fuzz (tests/_fuzz.ts) in a subprocess, so that a crash
// of the process — not just a thrown error — fails this test. CI runs a short
// version; FUZZ_OPS sets the operations per allocator for a long run:
//
//   FUZZ_OPS=10000000 deno run --allow-ffi --allow-env=FUZZ_OPS tests/_fuzz.ts
import assert from "node:assert/strict";

Deno.test("fuzz: random calls, one in ten bad, on every allocator, in a subprocess", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-env=FUZZ_OPS",
      new URL("./_fuzz.ts", import.meta.url).pathname,
    ],
    env: { FUZZ_OPS: "20000" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(
    out.code,
    0,
    `the fuzz process failed (signal ${out.signal}):\n${stderr}`,
  );
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(report.ops, 20000);
  assert.deepEqual(Object.keys(report.opsPerSecond), [
    "Heap on OsPages",
    "Heap on BufferPages",
    "OsPages",
    "BufferPages",
    "Arena on BufferPages",
    "Arena on a Heap",
    "FixedAllocator",
  ]);
});
