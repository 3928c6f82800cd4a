// Every record of tests/_records.ts against a real C compiler: the test
// writes each record's C declaration (RecordLayout.cDeclaration) and, for
// the record and each field, a _Static_assert of the size, alignment and
// offsets the library computed, and runs `gcc -fsyntax-only` on it through
// stdin (tests/_c_compiler.ts) — no file is written, and any disagreement
// fails the compile, naming the record and field. Without gcc the test is
// skipped, saying so.
import assert from "node:assert/strict";
import { RECORD_CASES } from "./_records.ts";
import { defineRecord, type RecordLayout } from "../record/mod.ts";
import { cChecks, cCompiler, compile } from "./_c_compiler.ts";

const compiler = cCompiler();
if (compiler === null) {
  console.log("record_c_test: no gcc or cc on this machine; skipping");
}

Deno.test({
  name: `${RECORD_CASES.length} record layouts agree with ${compiler ?? "C"}`,
  ignore: compiler === null,
  fn: async () => {
    assert.ok(RECORD_CASES.length >= 20);
    const { success, stderr } = await compile(
      compiler!,
      cChecks(RECORD_CASES.map((c) => c.layout)),
    );
    assert.equal(stderr, "");
    assert.ok(success);
  },
});

Deno.test({
  name: "a wrong number fails the compile, naming the record and field",
  ignore: compiler === null,
  fn: async () => {
    const src = cChecks([RECORD_CASES[0].layout]).replace(
      "offsetof(struct Particle, id) == 32",
      "offsetof(struct Particle, id) == 36",
    );
    const { success, stderr } = await compile(compiler!, src);
    assert.equal(success, false);
    assert.match(stderr, /Particle\.id: offset 32/);
  },
});

// Names near the refused ones that C takes as struct and field names: the
// headers' type names (typedefs, another namespace than members), a
// function-like macro (replaced only before a parenthesis), and _ or __
// inside or before a lower-case letter. Compiled as C11 and, spawned
// here, in GCC's default GNU mode of C23 (where bool, typeof, asm and the
// predefined linux are taken).
const ACCEPTED = [
  "int8_t",
  "uint8_t",
  "uintptr_t",
  "size_t",
  "wchar_t",
  "ptrdiff_t",
  "max_align_t",
  "offsetof",
  "unreachable",
  "_lower",
  "a__b",
  "x_",
  "Bool",
  "True",
  "NULLABLE",
  "SIZE",
  "INTEGER",
  "memcpy",
  "main",
];

Deno.test({
  name: `names near the refused ones compile with ${compiler ?? "C"}`,
  ignore: compiler === null,
  fn: async () => {
    const layouts: RecordLayout[] = ACCEPTED.map((n) =>
      defineRecord(`S_${n}`, { [n]: "u8", after: "usize" })
    );
    layouts.push(
      defineRecord(
        "AllNames",
        ACCEPTED.map((n) => [n, "u32"] as [string, "u32"]),
      ),
    );
    const src = cChecks(layouts);
    const c11 = await compile(compiler!, src);
    assert.equal(c11.stderr, "");
    assert.ok(c11.success);
    const gnu = await compile(compiler!, src, "gnu2x");
    assert.equal(gnu.stderr, "");
    assert.ok(gnu.success);
  },
});
