// Every record of tests/_records.ts against a real C compiler: the test
// writes each record's C declaration (RecordLayout.cDeclaration) and, for
// the record and each field, a _Static_assert of the size, alignment and
// offsets the library computed, and runs `gcc -fsyntax-only` on it through
// stdin (tests/_c_compiler.ts) — no file is written, and any disagreement
// fails the compile, naming the record and field. Without gcc the test is
// skipped, saying so.
import assert from "node:assert/strict";
import { RECORD_CASES } from "./_records.ts";
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
