// Record cursors: every scalar type written through a cursor lands as the
// exact little-endian bytes at its offset, in a natural and in a packed
// (unaligned) record; nested records, arrays of scalars and of records,
// pointers, and refused indices and values that change no byte.
import assert from "node:assert/strict";
import {
  BufferPages,
  DestroyedError,
  type Memory,
  OsPages,
  SharedPages,
  WasmPages,
} from "../os/mod.ts";
import { defineRecord } from "../record/mod.ts";
import { ALL_SCALARS, Particle } from "./_records.ts";
import { assertRefusedUnchanged, type Refusal } from "./_assert_refused.ts";

const FIELDS = ALL_SCALARS;

function fill<C extends Record<keyof typeof FIELDS, unknown>>(c: C): void {
  Object.assign(c, {
    a: -2,
    b: 0xfe,
    c: -300,
    d: 0xbeef,
    e: -70000,
    f: 0xdeadbeef,
    g: -5n,
    h: 2n ** 64n - 2n,
    i: 1.5,
    j: -0.25,
    k: 2 ** 40 + 3,
  });
}

// The same values as bytes, by a DataView, at the offsets given.
function expected(offsets: Record<string, number>, size: number): number[] {
  const dv = new DataView(new ArrayBuffer(size));
  dv.setInt8(offsets.a, -2);
  dv.setUint8(offsets.b, 0xfe);
  dv.setInt16(offsets.c, -300, true);
  dv.setUint16(offsets.d, 0xbeef, true);
  dv.setInt32(offsets.e, -70000, true);
  dv.setUint32(offsets.f, 0xdeadbeef, true);
  dv.setBigInt64(offsets.g, -5n, true);
  dv.setBigUint64(offsets.h, 2n ** 64n - 2n, true);
  dv.setFloat32(offsets.i, 1.5, true);
  dv.setFloat64(offsets.j, -0.25, true);
  dv.setUint32(offsets.k, 3, true);
  dv.setUint32(offsets.k + 4, 2 ** 8, true);
  return [...new Uint8Array(dv.buffer)];
}

for (const packed of [false, true]) {
  Deno.test(`cursor writes exact bytes of every scalar (packed: ${packed})`, () => {
    const R = defineRecord("All", FIELDS, { packed });
    assert.equal(R.size, packed ? 50 : 56);
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const base = pages.alloc(4096);
    // A packed record at an odd address: every field unaligned.
    const at = base + (packed ? 1 : 0);
    const c = R.cursor(pages.memory);
    c.ptr = at;
    fill(c);
    const bytes = [...pages.memory.u8.subarray(at, at + R.size)];
    assert.deepEqual(bytes, expected(R.offsets, R.size));
    assert.deepEqual(
      [c.a, c.b, c.c, c.d, c.e, c.f, c.g, c.h, c.i, c.j, c.k],
      [
        -2,
        0xfe,
        -300,
        0xbeef,
        -70000,
        0xdeadbeef,
        -5n,
        2n ** 64n - 2n,
        1.5,
        -0.25,
        2 ** 40 + 3,
      ],
    );
    assert.equal(pages.memory.u8[at - 1] ?? 0, 0); // nothing before
    assert.equal(pages.memory.u8[at + R.size], 0); // nothing after
  });
}

Deno.test("cursor: nested records and arrays move with ptr", () => {
  const Vec2 = defineRecord("Vec2", { x: "f32", y: "f32" });
  const Shape = defineRecord("Shape", {
    kind: "u8",
    center: Vec2,
    pts: { type: Vec2, length: 3 },
    tags: { type: "u16", length: 4 },
  });
  assert.deepEqual({ ...Shape.offsets }, {
    kind: 0,
    center: 4,
    pts: 12,
    tags: 36,
  });
  assert.equal(Shape.size, 44);
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const base = pages.alloc(4096);
  const { f32, u16, u8 } = pages.memory;
  const c = Shape.cursor(pages.memory);
  for (let k = 0; k < 2; k++) {
    c.ptr = Shape.at(base, k);
    c.kind = 10 + k;
    c.center.y = 2 + k;
    c.pts.at(2).x = 7 + k;
    c.tags.set(3, 500 + k);
  }
  for (let k = 0; k < 2; k++) {
    const p = base + k * 44;
    assert.equal(u8[p], 10 + k);
    assert.equal(f32[(p + 8) / 4], 2 + k);
    assert.equal(f32[(p + 12 + 16) / 4], 7 + k);
    assert.equal(u16[(p + 36 + 6) / 2], 500 + k);
  }
  c.ptr = base;
  assert.equal(c.pts.length, 3);
  assert.equal(c.tags.get(3), 500);
  assert.equal(c.pts.at(2).x, 7);
  // The sub-cursors are the cursor's own: the same object every time.
  assert.equal(c.center, c.center);
  assert.equal(c.pts.at(0), c.pts.at(1));
});

Deno.test("cursor refuses bad indices and pointer values, changing nothing", () => {
  const R = defineRecord("R", {
    v: { type: "i32", length: 2 },
    p: "usize",
    rs: { type: defineRecord("E", { e: "u8" }), length: 2 },
  });
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const base = pages.alloc(4096);
  const c = R.cursor(pages.memory);
  c.ptr = base;
  c.p = 4096;
  const before = [...pages.memory.u8.subarray(base - 16, base + 64)];
  for (const i of [2, -1, 0.5, NaN]) {
    assert.throws(
      () => c.v.get(i),
      /Index .* is out of range for an array of 2 elements \(0 to 1\)/,
    );
    assert.throws(() => c.v.set(i, 1), RangeError);
    assert.throws(() => c.rs.at(i), RangeError);
  }
  for (const v of [-1, 1.5, 2 ** 53, NaN]) {
    assert.throws(
      () => c.p = v,
      new RangeError(
        `Field R.p (usize) holds a pointer: an integer from 0 to 2^53 - 1, got ${v}`,
      ),
    );
  }
  for (const i of ["1", 1n, null, Symbol("i")] as unknown[]) {
    const kind = new RegExp(
      `^TypeError: Index must be a number, got ${
        i === null ? "null" : typeof i
      }$`,
    );
    assert.throws(() => c.v.get(i as number), kind);
    assert.throws(() => c.v.set(i as number, 1), kind);
    assert.throws(() => c.rs.at(i as number), kind);
  }
  assert.throws(() => c.v.at(0), /holds scalars/);
  assert.throws(() => c.rs.get(0), /holds records/);
  assert.deepEqual([...pages.memory.u8.subarray(base - 16, base + 64)], before);
  assert.equal(c.p, 4096);
});

Deno.test("a record's pool and a cursor over it", () => {
  using pool = Particle.pool({ decayMs: Infinity });
  assert.deepEqual([pool.blockSize, pool.alignment, pool.stride], [40, 8, 40]);
  const c = Particle.cursor(pool.memory);
  const ptrs = Array.from({ length: 3 }, () => pool.alloc());
  assert.deepEqual(ptrs.map((p) => p - ptrs[0]), [0, 40, 80]);
  ptrs.forEach((p, i) => {
    c.ptr = p;
    c.id = i;
    c.vx = i / 2;
    c.x += c.vx;
  });
  const { f64, u32 } = pool.memory;
  assert.deepEqual(ptrs.map((p) => f64[p / 8]), [0, 0.5, 1]);
  assert.deepEqual(ptrs.map((p) => u32[(p + 32) / 4]), [0, 1, 2]);
  pool.free(ptrs[1]);
  assert.equal(pool.blocks, 2);
  pool.validate(); // nothing written past a record
});

Deno.test("cursor without code generation (a content security policy)", () => {
  const original = globalThis.Function;
  let refused = 0;
  globalThis.Function = function () {
    refused++;
    throw new EvalError("Code generation from strings disallowed");
  } as unknown as FunctionConstructor;
  try {
    const R = defineRecord("NoEval", FIELDS);
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const c = R.cursor(pages.memory);
    c.ptr = pages.alloc(4096);
    fill(c);
    assert.deepEqual(
      [...pages.memory.u8.subarray(c.ptr, c.ptr + R.size)],
      expected(R.offsets, R.size),
    );
    assert.equal(c.k, 2 ** 40 + 3);
    assert.equal(refused, 1); // the class was built by closures instead
  } finally {
    globalThis.Function = original;
  }
});

Deno.test("cursor: a natural record nested in a packed one, at any address", () => {
  const V = defineRecord("V", { d: "f64", n: "u32" });
  const P = defineRecord("P", {
    c: "u8",
    v: V,
    vs: { type: V, length: 2 },
  }, { packed: true });
  assert.deepEqual([P.offsets.v, P.offsets.vs, P.size], [1, 17, 49]);
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const base = pages.alloc(4096);
  const dv = new DataView(pages.memory.buffer);
  const c = P.cursor(pages.memory);
  for (const at of [base, base + 3]) {
    c.ptr = at;
    c.v.d = 1.5;
    c.v.n = 0xdeadbeef;
    c.vs.at(1).d = -2;
    assert.equal(dv.getFloat64(at + 1, true), 1.5);
    assert.equal(dv.getUint32(at + 9, true), 0xdeadbeef);
    assert.equal(dv.getFloat64(at + 33, true), -2);
    assert.deepEqual([c.v.d, c.v.n, c.vs.at(1).d], [1.5, 0xdeadbeef, -2]);
  }
});

Deno.test("cursor: ptr reads back as set; a misaligned one writes the field's own bytes or none", () => {
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const base = pages.alloc(4096);
  const c = Particle.cursor(pages.memory);
  for (const p of [0, base, base + 4, base + 1, 2 ** 40]) {
    c.ptr = p;
    assert.equal(c.ptr, p);
  }
  const u8 = pages.memory.u8;
  // At base + 4, the f64 fields are unaligned (read undefined, written
  // nowhere); id, a u32, is aligned and lands at ptr + 32.
  c.ptr = base + 4;
  c.x = 1;
  c.vy = 2;
  c.id = 0x01020304;
  assert.deepEqual([c.x, c.vy, c.id], [undefined, undefined, 0x01020304]);
  const written = [...u8.subarray(base, base + 64)].flatMap((b, i) =>
    b === 0 ? [] : [[i, b]]
  );
  assert.deepEqual(written, [[36, 4], [37, 3], [38, 2], [39, 1]]);
  // Past the memory's end: nothing is read or written.
  c.ptr = pages.memory.buffer.byteLength;
  c.x = 1;
  assert.equal(c.x, undefined);
});

Deno.test("cursor: a packed record with align 8 reads fields and nested records at offsets its alignment does not divide", () => {
  const V = defineRecord("V", { d: "f64" });
  const Q = defineRecord("Q", {
    t: "u8",
    u: "u32",
    k: "u32",
    v: V,
    vs: { type: V, length: 2 },
  }, { packed: true, align: 8 });
  assert.deepEqual(
    [Q.offsets.u, Q.offsets.k, Q.offsets.v, Q.offsets.vs, Q.size, Q.align],
    [1, 5, 9, 17, 40, 8],
  );
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const at = pages.alloc(4096); // a multiple of 8, as Q's alignment says
  const c = Q.cursor(pages.memory);
  c.ptr = at;
  c.t = 0xab;
  c.u = 0xdeadbeef;
  c.k = 0x01020304;
  c.v.d = 1.5;
  c.vs.at(1).d = -2;
  const dv = new DataView(pages.memory.buffer);
  assert.deepEqual([
    dv.getUint8(at),
    dv.getUint32(at + 1, true),
    dv.getUint32(at + 5, true),
    dv.getFloat64(at + 9, true),
    dv.getFloat64(at + 25, true),
  ], [0xab, 0xdeadbeef, 0x01020304, 1.5, -2]);
  assert.deepEqual(
    [c.t, c.u, c.k, c.v.d, c.vs.at(1).d],
    [0xab, 0xdeadbeef, 0x01020304, 1.5, -2],
  );
});

Deno.test("cursor: a negative, NaN or fractional ptr reaches no byte of the memory", () => {
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const u8 = pages.memory.u8;
  const touched = () =>
    [...u8.subarray(0, 4096)].flatMap((b, i) => b === 0 ? [] : [i]);
  const Inner = defineRecord("Inner", { v: "f64" });
  const Outer = defineRecord("Outer", {
    a: "u32",
    inner: Inner,
    xs: { type: "f64", length: 4 },
    rs: { type: Inner, length: 2 },
  });
  for (const packed of [false, true]) {
    const R = defineRecord("All", FIELDS, { packed });
    const c = R.cursor(pages.memory);
    for (const ptr of [-8, -1, 1 - R.size, -0.5, NaN, 0.5]) {
      c.ptr = ptr;
      if (!packed) {
        // Every field reads as nothing (a pointer's two halves: NaN) and
        // writes nowhere.
        const values = Object.keys(FIELDS).map((k) => c[k as keyof typeof c]);
        assert.deepEqual(values, [...Array(10).fill(undefined), NaN]);
        fill(c);
      } else {
        // An unaligned field goes through a DataView, which refuses it; the
        // one-byte fields are aligned anywhere, typed-array indices.
        for (const k of Object.keys(FIELDS)) {
          const read = () => c[k as keyof typeof c];
          if (k === "a" || k === "b") assert.equal(read(), undefined);
          else assert.throws(read, RangeError, `${ptr} ${k}`);
        }
        assert.throws(() => c.j = 1, RangeError);
        c.b = 1;
      }
      assert.deepEqual(touched(), [], `ptr ${ptr}, packed ${packed}`);
    }
  }
  // A nested record's and an array field's cursors move to no byte either.
  const o = Outer.cursor(pages.memory);
  o.ptr = -8;
  o.inner.v = 3;
  o.xs.set(1, 4);
  o.rs.at(1).v = 5;
  assert.deepEqual([o.a, o.inner.v, o.xs.get(1), o.rs.at(1).v], [
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  assert.equal(o.inner.ptr, -1);
  assert.deepEqual(touched(), []);
});

// The three kinds of cursor class: generated code for a natural and for a
// packed record, and closures where code cannot be generated (a content
// security policy, under which `new Function` throws an EvalError).
const MODES = ["natural", "packed", "no code generation"] as const;

async function inEveryMode(
  t: Deno.TestContext,
  body: (mode: typeof MODES[number]) => void,
): Promise<void> {
  for (const mode of MODES) {
    await t.step(mode, () => {
      const original = globalThis.Function;
      if (mode === "no code generation") {
        globalThis.Function = function () {
          throw new EvalError("Code generation from strings disallowed");
        } as unknown as FunctionConstructor;
      }
      try {
        body(mode);
      } finally {
        globalThis.Function = original;
      }
    });
  }
}

// A non-number ptr was used as is: "8" + offset 0 is "80" (byte 80), true
// and null index bytes 1 and 0, and a nested record's field at "8" + 808
// is byte 816. Every cursor's ptr setter refuses one, naming it, and keeps
// the ptr it had.
const notNumbers: [unknown, string][] = [
  ["8", 'got the string "8"'],
  ["", 'got the string ""'],
  [true, "got true"],
  [false, "got false"],
  [null, "got null"],
  [undefined, "got undefined"],
  [[8], "got an array"],
  [8n, "got the bigint 8n"],
  [{ valueOf: () => 8 }, "got an object"],
  [Object.create(null), "got an object"],
  [Symbol("p"), "got a symbol"],
  [() => 8, "got a function"],
];

Deno.test("cursor: a ptr that is not a number is refused by every cursor", async (t) => {
  await inEveryMode(t, (mode) => {
    const Inner = defineRecord("In", { v: "f64" });
    const Outer = defineRecord("Out", {
      a: "u8",
      x: "f64",
      inner: Inner,
      xs: { type: "u8", length: 4 },
      rs: { type: Inner, length: 2 },
    }, { packed: mode === "packed" });
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const u8 = pages.memory.u8;
    const base = pages.alloc(4096);
    assert.equal(base, 4096);
    // Marks where a coerced or concatenated ptr would land: the first
    // page too (the null page, in the buffer all the same).
    u8.fill(0xab, 1, 8192);
    const o = Outer.cursor(pages.memory);
    assert.equal(o.ptr, 0);
    const at = base + 1024;
    o.ptr = at;
    o.a = 7;
    o.x = 2.5;
    o.inner.v = 3.5;
    o.xs.set(1, 9);
    o.rs.at(1).v = 4.5;
    const cursors: [string, { ptr: number }, number][] = [
      ["record", o, at],
      ["nested", o.inner, at + Outer.offsets.inner],
      ["scalar array", o.xs, at + Outer.offsets.xs],
      ["record array", o.rs, at + Outer.offsets.rs],
      [
        "record array element",
        o.rs.at(1),
        at + Outer.offsets.rs + Inner.size,
      ],
    ];
    const before = [...u8.subarray(0, 8192)];
    for (const [what, c, ptr] of cursors) {
      for (const [bad, message] of notNumbers) {
        assert.throws(() => c.ptr = bad as number, {
          name: "TypeError",
          message: `A cursor's ptr must be a number (an address), ${message}`,
        });
        assert.equal(c.ptr, ptr, `${what} kept its ptr`);
      }
    }
    assert.deepEqual(
      [o.a, o.x, o.inner.v, o.xs.get(1), o.rs.at(1).v],
      [7, 2.5, 3.5, 9, 4.5],
    );
    assert.deepEqual([...u8.subarray(0, 8192)], before, "no byte written");
  });
});

// A field value of the wrong type: a typed array converted it (a string to
// NaN or 0, null to 0, true to 1, "5" to 5n) or threw V8's bare "Cannot
// convert 5 to a BigInt". Every setter refuses it, naming the record, the
// field and its type, and writes no byte.
const notBigints: [unknown, string][] = [
  [5, "got the number 5"],
  [1.5, "got the number 1.5"],
  ["5", 'got the string "5"'],
  [true, "got true"],
  [null, "got null"],
  [undefined, "got undefined"],
  [{ valueOf: () => 5n }, "got an object"],
  [Symbol("v"), "got a symbol"],
];

Deno.test("cursor: a field value of the wrong type is refused by every setter", async (t) => {
  await inEveryMode(t, (mode) => {
    const R = defineRecord("All", {
      ...ALL_SCALARS,
      xs: { type: "f64", length: 2 },
      ns: { type: "i64", length: 2 },
      ps: { type: "usize", length: 2 },
    }, { packed: mode === "packed" });
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const u8 = pages.memory.u8;
    // A packed record at an odd address: every wide field unaligned.
    const at = pages.alloc(4096) + (mode === "packed" ? 1 : 0);
    const c = R.cursor(pages.memory);
    c.ptr = at;
    fill(c);
    const before = [...u8.subarray(0, 8192)];
    for (const [k, type] of Object.entries(ALL_SCALARS)) {
      const big = type === "i64" || type === "u64";
      for (const [bad, got] of big ? notBigints : notNumbers) {
        const takes = big
          ? "a bigint, such as 5n or BigInt(x)"
          : type === "usize"
          ? "a number (a pointer)"
          : "a number";
        const message = `Field All.${k} (${type}) must be ${takes}, ${got}`;
        assert.throws(
          () => (c as Record<string, unknown>)[k] = bad,
          new TypeError(message),
        );
      }
    }
    for (const [bad, got] of notNumbers) {
      assert.throws(
        () => c.xs.set(1, bad as number),
        new TypeError(`Field All.xs[1] (f64) must be a number, ${got}`),
      );
      assert.throws(
        () => c.ps.set(0, bad as number),
        new TypeError(
          `Field All.ps[0] (usize) must be a number (a pointer), ${got}`,
        ),
      );
    }
    for (const [bad, got] of notBigints) {
      assert.throws(
        () => c.ns.set(0, bad as bigint),
        new TypeError(
          `Field All.ns[0] (i64) must be a bigint, such as 5n or BigInt(x), ${got}`,
        ),
      );
    }
    assert.deepEqual([...u8.subarray(0, 8192)], before, "no byte written");
    assert.deepEqual([c.g, c.h, c.j, c.k], [
      -5n,
      2n ** 64n - 2n,
      -0.25,
      2 ** 40 + 3,
    ]);
  });
});

// A usize field holds a pointer as a number: C may have stored one of 2^53
// or more (a full 64-bit address), which a number rounds (2^53 + 1 read as
// 2^53, 2^64 - 1 as 18446744073709552000). Such a read is refused, from
// 2^53 as the write is; 2^53 - 1 reads exact.
Deno.test("cursor: a usize field holding 2^53 or more is refused on read", async (t) => {
  await inEveryMode(t, (mode) => {
    const R = defineRecord("Node", {
      tag: "u8",
      next: "usize",
      links: { type: "usize", length: 2 },
    }, { packed: mode === "packed" });
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const at = pages.alloc(4096) + (mode === "packed" ? 1 : 0);
    const dv = new DataView(pages.memory.buffer);
    const c = R.cursor(pages.memory);
    c.ptr = at;
    const fields: [string, number, () => number][] = [
      ["Node.next", R.offsets.next, () => c.next],
      ["Node.links[1]", R.offsets.links + 8, () => c.links.get(1)],
    ];
    for (const [name, offset, read] of fields) {
      const address = at + offset;
      const where = `0x${address.toString(16)} (${address})`;
      for (const value of [0n, 4096n, 2n ** 32n, 2n ** 53n - 1n]) {
        dv.setBigUint64(address, value, true);
        assert.equal(read(), Number(value), `${name} ${value}`);
      }
      for (const value of [2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
        dv.setBigUint64(address, value, true);
        assert.throws(
          read,
          new RangeError(
            `Field ${name} (usize) at ${where} holds ${value}, above 2^53 - 1 (Number.MAX_SAFE_INTEGER), past which numbers round: declare the field u64 to read it as a bigint, or read its 8 bytes with DataView's getBigUint64`,
          ),
        );
      }
      dv.setBigUint64(address, 0n, true);
    }
  });
});

// An unaligned (packed) field goes through a DataView, which threw V8's
// "Offset is outside the bounds of the DataView" for a ptr out of range,
// and wrote a usize's low half before refusing its high one. Every byte of
// the field is checked first: a RangeError naming the field and the ptr,
// and no byte changed. (An aligned field reads undefined and writes
// nothing there, as the test above shows.)
const PACKED = defineRecord("Pk", { a: "u8", b: "u32", p: "usize" }, {
  packed: true,
});
const END = 2 ** 16;
const packedRefused: [string, number, "b" | "p", Refusal][] = [
  ["a negative ptr", -8, "b", {
    error: RangeError,
    message:
      /^Field Pk\.b \(u32\) at ptr -8 is in no memory: a cursor's ptr must be a non-negative integer$/,
  }],
  ["ptr NaN", NaN, "b", {
    error: RangeError,
    message: /^Field Pk\.b \(u32\) at ptr NaN is in no memory/,
  }],
  ["a fractional ptr", 4096.5, "p", {
    error: RangeError,
    message: /^Field Pk\.p \(usize\) at ptr 4096\.5 is in no memory/,
  }],
  ["a ptr at the memory's end", END, "b", {
    error: RangeError,
    message:
      /^Field Pk\.b \(u32\) at ptr 0x10000 \(65536\) \+ 1 ends at 65541, past the memory's 65536 bytes: move the cursor to a record inside the memory$/,
  }],
  ["a u32 whose last byte is past the end", END - 4, "b", {
    error: RangeError,
    message: /^Field Pk\.b \(u32\) at ptr 0xfffc \(65532\) \+ 1 ends at 65537/,
  }],
  // Its low half fits: it was written, then the high half threw.
  ["a usize whose high half is past the end", END - 9, "p", {
    error: RangeError,
    message:
      /^Field Pk\.p \(usize\) at ptr 0xfff7 \(65527\) \+ 5 ends at 65540, past the memory's 65536 bytes/,
  }],
  ["a ptr at 2^40", 2 ** 40, "p", {
    error: RangeError,
    message: /^Field Pk\.p \(usize\) at ptr 0x10000000000 .* past the memory's/,
  }],
];

Deno.test("cursor: a packed field outside the memory is refused, reading and writing no byte", async (t) => {
  for (const [name, ptr, field, refusal] of packedRefused) {
    await t.step(name, () => {
      using pages = new BufferPages({ reserve: END });
      assert.equal(pages.memory.u8.length, END);
      pages.memory.u8.fill(7, 4096);
      const c = PACKED.cursor(pages.memory);
      c.ptr = ptr;
      const watched = { state: () => [...pages.memory.u8] };
      assertRefusedUnchanged(watched, () => c[field], refusal);
      assertRefusedUnchanged(watched, () => c[field] = 0x12345678, refusal);
    });
  }
  await t.step("the last bytes of the memory are reached", () => {
    using pages = new BufferPages({ reserve: END });
    const c = PACKED.cursor(pages.memory);
    c.ptr = END - 13;
    c.p = 2 ** 40 + 5;
    c.b = 0xdeadbeef;
    assert.deepEqual([c.p, c.b], [2 ** 40 + 5, 0xdeadbeef]);
  });
});

// A DataView of a destroyed memory threw V8's "Cannot perform
// DataView.prototype.getUint32 on a detached ArrayBuffer", and a packed
// cursor made after the destroy V8's DataView-constructor message.
Deno.test("cursor: a packed field of a destroyed memory is a DestroyedError; an aligned one reads undefined", async (t) => {
  const N = defineRecord("Nat", { a: "u8", b: "u32", p: "usize" });
  for (const Source of [BufferPages, OsPages]) {
    for (const made of ["before", "after"]) {
      await t.step(`${Source.name}, cursor made ${made} the destroy`, () => {
        const pages = new Source({ reserve: 2 ** 20 });
        const memory = pages.memory, at = pages.alloc(4096);
        const early = [PACKED.cursor(memory), N.cursor(memory)] as const;
        early[0].ptr = at;
        early[0].b = 5; // the packed cursor's DataView is made
        pages.destroy();
        const [p, n] = made === "before"
          ? early
          : [PACKED.cursor(memory), N.cursor(memory)] as const;
        p.ptr = at;
        n.ptr = at;
        const destroyed =
          /^DestroyedError: Memory was used after its page source was destroyed/;
        assert.throws(() => p.b, DestroyedError);
        assert.throws(() => p.b, destroyed);
        assert.throws(() => p.p = 1, destroyed);
        assert.equal(n.b, undefined);
        n.b = 1; // nowhere
        assert.equal(n.b, undefined);
      });
    }
  }
});

// A memory that cannot be detached (WasmPages, SharedPages) is revoked, its
// views kept: a packed field checked its address against the view's length
// and still read and wrote after the destroy.
Deno.test("cursor: a packed field of a revoked memory is a DestroyedError", async (t) => {
  for (const Source of [WasmPages, SharedPages]) {
    for (const made of ["before", "after"]) {
      await t.step(`${Source.name}, cursor made ${made} the destroy`, () => {
        const pages = new Source({ reserve: 2 ** 20 });
        const memory = pages.memory, at = pages.alloc(4096);
        const early = PACKED.cursor(memory);
        early.ptr = at;
        early.b = 5;
        assert.equal(early.b, 5);
        pages.destroy();
        const p = made === "before" ? early : PACKED.cursor(memory);
        p.ptr = at;
        const destroyed =
          /^DestroyedError: Memory was used after its page source was destroyed/;
        assert.throws(() => p.b, destroyed);
        assert.throws(() => p.b = 6, destroyed);
        assert.throws(() => p.p = 1, destroyed);
      });
    }
  }
});

// A cursor over something that is no Memory was made, and its first access
// threw V8's "Cannot read properties of undefined (reading '1029')".
const notMemories: [string, () => unknown, RegExp][] = [
  [
    "a Pool in place of its memory",
    () => {
      using pool = Particle.pool();
      return Particle.cursor(pool as unknown as Memory);
    },
    /^TypeError: A record cursor needs a Memory, got an object that has one \(an allocator\?\): pass its memory, such as pool\.memory or heap\.memory$/,
  ],
  [
    "no argument",
    () => (Particle.cursor as (m?: Memory) => unknown)(),
    /^TypeError: A record cursor needs a Memory \(an allocator's memory, such as pool\.memory or heap\.memory\), got undefined$/,
  ],
  [
    "null",
    () => Particle.cursor(null as unknown as Memory),
    /^TypeError: A record cursor needs a Memory .*, got null$/,
  ],
  [
    "a buffer",
    () => Particle.cursor(new ArrayBuffer(64) as unknown as Memory),
    /^TypeError: A record cursor needs a Memory .*, got an object$/,
  ],
  [
    "a number",
    () => Particle.cursor(4096 as unknown as Memory),
    /^TypeError: A record cursor needs a Memory .*, got the number 4096$/,
  ],
];

Deno.test("cursor: over anything but a Memory is refused when it is made", async (t) => {
  for (const [name, make, message] of notMemories) {
    await t.step(name, () => assert.throws(make, message));
  }
});

// An assignment to a nested record or an array field threw V8's "Cannot
// set property pos of #<WithSubs> which has only a getter", and in
// sloppy-mode code was lost without a word.
const notAssignable: [string, RegExp][] = [
  [
    "pos",
    /^TypeError: Field B\.pos is a nested V record and cannot be assigned: set its fields \(c\.pos\.x = …\), or copy its 8 bytes with memory\.copy$/,
  ],
  [
    "tags",
    /^TypeError: Field B\.tags is an array of 3 u8 and cannot be assigned: set its elements \(c\.tags\.set\(i, v\)\), or copy its 3 bytes with memory\.copy$/,
  ],
  [
    "kids",
    /^TypeError: Field B\.kids is an array of 2 V and cannot be assigned: set its elements' fields \(c\.kids\.at\(i\)\.x = …\), or copy its 16 bytes with memory\.copy$/,
  ],
];

Deno.test("cursor: a nested record or array field cannot be assigned", async (t) => {
  await inEveryMode(t, (mode) => {
    const V = defineRecord("V", { x: "f32", y: "f32" });
    const B = defineRecord("B", {
      pos: V,
      tags: { type: "u8", length: 3 },
      kids: { type: V, length: 2 },
    }, { packed: mode === "packed" });
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const c = B.cursor(pages.memory) as unknown as Record<string, unknown>;
    c.ptr = pages.alloc(4096);
    pages.memory.u8.fill(7, 4096, 8192);
    for (const [field, message] of notAssignable) {
      const sub = c[field];
      assertRefusedUnchanged(
        { state: () => [...pages.memory.u8] },
        () => c[field] = V.cursor(pages.memory),
        { error: TypeError, message: new RegExp(message.source.slice(12)) },
      );
      assert.throws(() => c[field] = [1, 2, 3], message);
      assert.equal(c[field], sub); // still the field's own cursor
    }
  });
  // Sloppy-mode code (no "use strict") gets the error too.
  const V = defineRecord("V", { x: "f32" });
  const S = defineRecord("S", { v: V });
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const sloppy = new Function("c", "c.v = 1;") as (c: unknown) => void;
  assert.throws(
    () => sloppy(S.cursor(pages.memory)),
    /^TypeError: Field S\.v is a nested V record and cannot be assigned/,
  );
});

// An array field's length could be written over (c.tags.length = 9 read
// back 9, while get and set kept checking against 3), and so could its
// get, set and at.
Deno.test("cursor: an array field's length and methods cannot be written over", async (t) => {
  await inEveryMode(t, (mode) => {
    const V = defineRecord("V", { x: "f32" });
    const B = defineRecord("B", {
      tags: { type: "u8", length: 3 },
      kids: { type: V, length: 2 },
    }, { packed: mode === "packed" });
    using pages = new BufferPages({ reserve: 2 ** 20 });
    const c = B.cursor(pages.memory);
    c.ptr = pages.alloc(4096);
    for (const array of [c.tags, c.kids]) {
      const open = array as unknown as Record<string, unknown>;
      for (const key of ["length", "get", "set", "at"]) {
        assert.throws(
          () => open[key] = 9,
          new RegExp(
            `^TypeError: Cannot assign to read only property '${key}'`,
          ),
        );
      }
    }
    assert.deepEqual([c.tags.length, c.kids.length], [3, 2]);
    assert.throws(() => c.tags.get(3), /^RangeError: Index 3 is out of range/);
    c.tags.set(2, 7); // ptr still moves with the record, the array works
    c.kids.at(1).x = 1.5;
    assert.deepEqual([c.tags.get(2), c.kids.at(1).x], [7, 1.5]);
  });
});
