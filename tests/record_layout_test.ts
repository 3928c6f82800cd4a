// Record layouts: the exact size, alignment and offsets of every record of
// tests/_records.ts (the numbers gcc agrees with in record_c_test.ts), the
// C declaration and FFI type, and every kind of bad input refused with a
// specific error.
import assert from "node:assert/strict";
import { defineRecord, type FieldType } from "../record/mod.ts";
import { RECORD_CASES } from "./_records.ts";
import { PointerError } from "../os/mod.ts";
import type { ErrorClass } from "./_assert_refused.ts";

Deno.test("record layouts: exact sizes, alignments and offsets", async (t) => {
  for (const c of RECORD_CASES) {
    await t.step(c.layout.name, () => {
      assert.equal(c.layout.size, c.size);
      assert.equal(c.layout.align, c.align);
      assert.deepEqual({ ...c.layout.offsets }, c.offsets);
      for (const f of c.layout.fields) {
        assert.equal(c.layout.offsetOf(f.name), c.offsets[f.name]);
      }
    });
  }
});

Deno.test("record fields: each one's size, alignment and length", () => {
  const Vec2 = defineRecord("Vec2", { x: "f32", y: "f32" });
  const R = defineRecord("R", {
    a: "u8",
    v: { type: Vec2, length: 2 },
    p: "usize",
    one: { type: "i16", length: 1 },
  });
  assert.deepEqual(
    R.fields.map((f) => [f.name, f.offset, f.size, f.align, f.length, f.array]),
    [
      ["a", 0, 1, 1, 1, false],
      ["v", 4, 16, 4, 2, true],
      ["p", 24, 8, 8, 1, false],
      ["one", 32, 2, 2, 1, true],
    ],
  );
  assert.equal(R.size, 40);
  assert.equal(R.fields[1].type, Vec2);
  assert.equal(R.at(4096, 2), 4096 + 80);
  assert.throws(() => R.at(0, -1), RangeError);
  assert.throws(() => R.at(0, 1.5), RangeError);
});

Deno.test("record C declaration and FFI type", () => {
  const V = defineRecord("V", { x: "f32", y: "f32" });
  const S = defineRecord("S", {
    id: "u64",
    p: "usize",
    pts: { type: V, length: 2 },
    b: "i8",
  });
  assert.equal(
    S.cDeclaration(),
    "struct V {\n  float x;\n  float y;\n};\n" +
      "struct S {\n  uint64_t id;\n  uintptr_t p;\n  struct V pts[2];\n  int8_t b;\n};\n",
  );
  assert.deepEqual(S.ffiType, {
    struct: [
      "u64",
      "usize",
      { struct: ["f32", "f32"] },
      { struct: ["f32", "f32"] },
      "i8",
    ],
  });
  const P = defineRecord("P", { a: "u8", b: "u32" }, { packed: true });
  assert.equal(
    P.cDeclaration(),
    "struct __attribute__((packed)) P {\n  uint8_t a;\n  uint32_t b;\n};\n",
  );
  assert.throws(() => P.ffiType, /packed.*pass it by pointer/);
  const A = defineRecord("A", { a: "u8" }, { align: 64, packed: true });
  assert.match(A.cDeclaration(), /__attribute__\(\(packed, aligned\(64\)\)\)/);
  const N = defineRecord("N", { d: "f64" }, { align: 8 }); // natural already
  assert.deepEqual(N.ffiType, { struct: ["f64"] });
  assert.throws(
    () =>
      defineRecord("T", {
        a: defineRecord("X", { b: "u8" }),
        b: defineRecord("X", { c: "u8" }),
      }).cDeclaration(),
    /Two different records are named X/,
  );
});

Deno.test("record layouts refuse bad input with a specific error", async (t) => {
  const cases: [string, () => unknown, ErrorClass, RegExp][] = [
    // A NaN base gave NaN, a negative one an address below the memory.
    ...[NaN, -8, 0.5].map((
      base,
    ): [string, () => unknown, ErrorClass, RegExp] => [
      `at() with base ${base}`,
      () => defineRecord("R", { a: "u8" }).at(base, 1),
      PointerError,
      new RegExp(
        `^Pointer ${base} is not a non-negative integer, so it is no allocation`,
      ),
    ]),
    [
      "unknown type",
      () => defineRecord("R", { a: "f16" as "f32" }),
      TypeError,
      /Field a of record R has unknown type "f16"/,
    ],
    [
      "type not a string",
      () => defineRecord("R", { a: 5 as unknown as "u8" }),
      TypeError,
      /unknown type the number 5: use one of/,
    ],
    // String(type) was V8's "Cannot convert object to primitive value"
    // here, a function's source text, "[object Object]" for { type } alone.
    [
      "type an object without a prototype",
      () => defineRecord("R", { a: Object.create(null) }),
      TypeError,
      /^Field a of record R has unknown type an object: use one of i8, u8/,
    ],
    [
      "type a function",
      () => defineRecord("R", { a: (() => "u8") as unknown as "u8" }),
      TypeError,
      /^Field a of record R has unknown type a function: use one of/,
    ],
    [
      "type a symbol",
      () => defineRecord("R", { a: Symbol("u8") as unknown as "u8" }),
      TypeError,
      /^Field a of record R has unknown type a symbol: use one of/,
    ],
    [
      "array length missing",
      () => defineRecord("R", { a: { type: "u8" } as unknown as "u8" }),
      TypeError,
      /^Field a of record R is an array whose length is missing: give it \{ type, length \}$/,
    ],
    [
      "array length a string",
      () =>
        defineRecord("R", {
          a: { type: "u8", length: "3" as unknown as number },
        }),
      TypeError,
      /^Field a of record R is an array whose length must be a number, got the string "3"$/,
    ],
    [
      "array length a bigint",
      () =>
        defineRecord("R", {
          a: { type: "u8", length: 3n as unknown as number },
        }),
      TypeError,
      /length must be a number, got the bigint 3n$/,
    ],
    [
      "duplicate name",
      () => defineRecord("R", [["a", "u8"], ["a", "u32"]]),
      TypeError,
      /two fields named a/,
    ],
    ["no fields", () => defineRecord("R", {}), TypeError, /has no fields/],
    [
      "no fields (list)",
      () => defineRecord("R", []),
      TypeError,
      /has no fields/,
    ],
    [
      "array length 0",
      () => defineRecord("R", { a: { type: "u8", length: 0 } }),
      RangeError,
      /array of length 0/,
    ],
    [
      "array length 1.5",
      () => defineRecord("R", { a: { type: "u8", length: 1.5 } }),
      RangeError,
      /array of length 1\.5/,
    ],
    [
      "array length -1",
      () => defineRecord("R", { a: { type: "u8", length: -1 } }),
      RangeError,
      /array of length -1/,
    ],
    [
      "array length NaN",
      () => defineRecord("R", { a: { type: "u8", length: NaN } }),
      RangeError,
      /array of length NaN/,
    ],
    [
      "array too large",
      () => defineRecord("R", { a: { type: "f64", length: 2 ** 28 } }),
      RangeError,
      /more than 1073741824/,
    ],
    [
      "array of unknown",
      () => defineRecord("R", { a: { type: "x" as "u8", length: 2 } }),
      TypeError,
      /unknown type "x"/,
    ],
    [
      "bad field name",
      () => defineRecord("R", { "1a": "u8" }),
      TypeError,
      /"1a" is no usable C identifier/,
    ],
    [
      "C keyword",
      () => defineRecord("R", { int: "u8" }),
      TypeError,
      /"int" is no usable/,
    ],
    [
      "reserved ptr",
      () => defineRecord("R", { ptr: "u8" }),
      TypeError,
      /"ptr" is no usable/,
    ],
    [
      "bad record name",
      () => defineRecord("my record", { a: "u8" }),
      TypeError,
      /record name "my record"/,
    ],
    [
      "record name not a string",
      () => defineRecord(3 as unknown as string, { a: "u8" }),
      TypeError,
      /must be a string/,
    ],
    [
      "align 3",
      () => defineRecord("R", { a: "u8" }, { align: 3 }),
      RangeError,
      /^Alignment must be a power of two from 1 to 65536, got 3; omit it for the record's natural alignment \(its fields'\)$/,
    ],
    [
      "align 0",
      () => defineRecord("R", { a: "u8" }, { align: 0 }),
      RangeError,
      /got 0/,
    ],
    [
      "align 2^17",
      () => defineRecord("R", { a: "u8" }, { align: 2 ** 17 }),
      RangeError,
      /got 131072/,
    ],
    [
      "align below the fields'",
      () => defineRecord("R", { a: "f64" }, { align: 4 }),
      RangeError,
      /cannot have alignment 4: its fields need 8/,
    ],
    [
      "packed not boolean",
      () => defineRecord("R", { a: "u8" }, { packed: 1 as unknown as boolean }),
      TypeError,
      /packed must be true or false/,
    ],
    [
      "fields not an object",
      () => defineRecord("R", null as unknown as Record<string, FieldType>),
      TypeError,
      /fields must be/,
    ],
    [
      "field not a pair",
      () => defineRecord("R", [["a"]] as unknown as [string, FieldType][]),
      TypeError,
      /\[name, type\] pair/,
    ],
    [
      "record too large",
      () => defineRecord("R", { a: { type: "u8", length: 2 ** 30 }, b: "u8" }),
      RangeError,
      /larger than 1073741824 bytes at field b/,
    ],
    [
      "offsetOf unknown",
      () => defineRecord("R", { a: "u8" }).offsetOf("b" as "a"),
      TypeError,
      /no field b: its fields are a/,
    ],
  ];
  for (const [name, call, error, message] of cases) {
    await t.step(name, () => {
      assert.throws(call, (e: unknown) => {
        assert.ok(e instanceof error, `${name}: ${e}`);
        assert.match((e as Error).message, message);
        assert.match((e as Error).message, /^[A-Z]/); // sentence case
        return true;
      });
    });
  }
});

Deno.test("record fields: a packed record's fields report their natural alignment", () => {
  const R = defineRecord("Pk", { a: "u8", b: "f64", c: "u16" }, {
    packed: true,
  });
  assert.deepEqual(R.fields.map((f) => [f.name, f.offset, f.align]), [
    ["a", 0, 1],
    ["b", 1, 8],
    ["c", 9, 2],
  ]);
});

Deno.test("record layouts: a record of exactly 2^30 bytes (the largest) is allowed", () => {
  const R = defineRecord("Big", {
    a: { type: "u8", length: 2 ** 30 - 5 },
    b: "u32",
  });
  assert.deepEqual([R.offsets.b, R.size, R.align], [2 ** 30 - 4, 2 ** 30, 4]);
});

// Names that passed the identifier check and then failed to compile in
// cDeclaration()'s struct: keywords of C23 and GCC, names C reserves, and
// macros of the headers it needs (or that GCC predefines).
const refusedNames: [string, string][] = [
  ...[
    "typeof",
    "asm",
    "bool",
    "true",
    "false",
    "nullptr",
    "alignas",
    "alignof",
    "static_assert",
    "thread_local",
    "constexpr",
    "typeof_unqual",
    "int",
  ].map((n): [string, string] => [n, "a keyword of C or GCC"]),
  ...[
    "_BitInt",
    "_Decimal32",
    "_Float32",
    "_Float128",
    "_Bool",
    "_Alignas",
    "__int128",
    "__attribute__",
    "__restrict",
    "__asm__",
    "__typeof__",
    "__extension__",
    "__label__",
    "__auto_type",
    "__builtin_va_list",
    "__x",
  ].map((n): [string, string] => [
    n,
    "C reserves the names that start with __ or _ and a capital letter",
  ]),
  ...[
    "NULL",
    "INT8_MAX",
    "INT64_MIN",
    "UINT32_MAX",
    "INT_LEAST16_MIN",
    "UINT_FAST64_MAX",
    "INTPTR_MAX",
    "UINTMAX_MAX",
    "INT8_WIDTH",
    "INT64_C",
    "SIZE_MAX",
    "PTRDIFF_MIN",
    "SIG_ATOMIC_MAX",
    "WCHAR_MIN",
    "WINT_MAX",
    "linux",
    "unix",
  ].map((n): [string, string] => [
    n,
    "a macro of <stdint.h>, <stddef.h> or GCC, which the C declaration sees",
  ]),
  ["ptr", 'a cursor\'s own member: not "ptr", "constructor" or "__proto__"'],
  [
    "__proto__",
    'a cursor\'s own member: not "ptr", "constructor" or "__proto__"',
  ],
];

Deno.test("record names: keywords, reserved names and the headers' macros are refused", async (t) => {
  for (const [name, why] of refusedNames) {
    await t.step(name, () => {
      const quoted = name.replace(/[$^()\\[\]{}.*+?|]/g, "\\$&");
      const reason = why.replace(/[$^()\\[\]{}.*+?|]/g, "\\$&");
      assert.throws(
        () => defineRecord("R", [[name, "u8"]]),
        new RegExp(
          `^TypeError: A field name of record R "${quoted}" is no usable C identifier \\(${reason}\\)$`,
        ),
      );
      assert.throws(
        () => defineRecord(name, { a: "u8" }),
        new RegExp(`^TypeError: A record name "${quoted}" is no usable C`),
      );
    });
  }
});
