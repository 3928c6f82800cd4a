// Which page source is chosen, and what OsPages says without --allow-ffi.
// The permission cases run first in this file, before anything opens libc.
import assert from "node:assert/strict";
import {
  BufferPages,
  defaultPages,
  FfiUnavailableError,
  OsPages,
  type PageSource,
} from "../os/mod.ts";

Deno.test({
  name: "without FFI permission OsPages says to run with --allow-ffi",
  permissions: { ffi: false },
  fn() {
    assert.throws(() => new OsPages({ reserve: 2 ** 20 }), (e: Error) => {
      assert.ok(e instanceof FfiUnavailableError, e.name);
      assert.match(e.message, /run deno with --allow-ffi/);
      assert.ok(e.cause instanceof Deno.errors.NotCapable);
      return true;
    });
  },
});

Deno.test({
  name: "without FFI permission defaultPages falls back to BufferPages",
  permissions: { ffi: false },
  fn() {
    const warnings: unknown[][] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      using pages = defaultPages({ reserve: 2 ** 20 });
      assert.ok(pages instanceof BufferPages);
      assert.equal(pages.kind, "buffer");
      assert.equal(pages.reservedBytes, 2 ** 20);
      assert.equal(pages.alloc(1), 4096);
      using again = defaultPages({ reserve: 2 ** 20 });
      assert.equal(again.kind, "buffer");
    } finally {
      console.warn = warn;
    }
    // Once per process, naming the flag and the way to refuse instead.
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].length, 1);
    assert.match(
      String(warnings[0][0]),
      /^@sp\/mem: no FFI permission, so memory comes from a plain ArrayBuffer \(BufferPages\), which C cannot use: run deno with --allow-ffi for native memory, or pass \{ fallback: false \} to make this an error$/,
    );
  },
});

Deno.test({
  name: "without FFI permission defaultPages({ fallback: false }) refuses",
  permissions: { ffi: false },
  fn() {
    assert.throws(
      () => defaultPages({ reserve: 2 ** 20, fallback: false }),
      (e: Error) =>
        e instanceof FfiUnavailableError &&
        /run deno with --allow-ffi/.test(e.message),
    );
  },
});

Deno.test("with FFI permission defaultPages chooses OsPages", () => {
  using pages = defaultPages({ reserve: 2 ** 20, retain: 0 });
  assert.ok(pages instanceof OsPages);
  assert.equal(pages.kind, "os");
  assert.equal(pages.memory.native, true);
  assert.equal(pages.reservedBytes, 2 ** 20);
});

Deno.test("reservations are checked and rounded up to whole pages", async (t) => {
  const table: [number, number | RegExp][] = [
    [8192, 8192],
    [10000, 12288],
    [4096, /too small: it needs at least 2 pages/],
    [-1, /Reservation must be a non-negative integer, got -1/],
    [
      2 ** 44,
      /Reservation 17592186044416 exceeds the largest reservation of 8796093018112 bytes/,
    ],
  ];
  const makers: [string, (reserve: number) => PageSource][] = [
    ["os", (reserve) => new OsPages({ reserve })],
    ["buffer", (reserve) => new BufferPages({ reserve })],
  ];
  for (const [reserve, expect] of table) {
    for (const [kind, make] of makers) {
      await t.step(`${kind} reserve ${reserve}`, () => {
        if (typeof expect === "number") {
          using pages = make(reserve);
          assert.equal(pages.reservedBytes, expect);
          assert.equal(pages.memory.byteLength, expect);
        } else {
          assert.throws(
            () => make(reserve),
            (e: Error) => e instanceof RangeError && expect.test(e.message),
          );
        }
      });
    }
  }
  assert.throws(
    () => new OsPages({ retain: -1 }),
    /Retention must be a non-negative integer, got -1/,
  );
});
