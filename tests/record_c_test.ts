// Every record of tests/_records.ts against a real C compiler: the test
// writes each record's C declaration (RecordLayout.cDeclaration) and, for
// the record and each field, a _Static_assert of the size, alignment and
// offsets the library computed, and runs `gcc -fsyntax-only` on it through
// stdin — no file is written, and any disagreement fails the compile,
// naming the record and field. Without gcc the test is skipped, saying so.
import assert from "node:assert/strict";
import { RECORD_CASES } from "./_records.ts";
import type { RecordLayout } from "../record/mod.ts";

function cc(): string | null {
  for (const name of ["gcc", "cc"]) {
    try {
      const out = new Deno.Command(name, { args: ["--version"] }).outputSync();
      if (out.success) return name;
    } catch {
      // not installed: try the next
    }
  }
  return null;
}

/** The C source that asserts `layouts`' numbers. */
export function cChecks(layouts: RecordLayout[]): string {
  const declared = new Set<string>();
  let src = "#include <stddef.h>\n#include <stdint.h>\n\n";
  for (const r of layouts) {
    // cDeclaration repeats nested records; keep each struct once.
    for (const part of r.cDeclaration().split("};\n")) {
      const name = /struct(?: __attribute__\(\(.*\)\))? (\w+) \{/.exec(part)
        ?.[1];
      if (name === undefined || declared.has(name)) continue;
      declared.add(name);
      src += `${part}};\n`;
    }
  }
  for (const r of layouts) {
    const s = `struct ${r.name}`;
    src +=
      `_Static_assert(sizeof(${s}) == ${r.size}, "${r.name}: size ${r.size}");\n`;
    src +=
      `_Static_assert(_Alignof(${s}) == ${r.align}, "${r.name}: align ${r.align}");\n`;
    for (const f of r.fields) {
      src +=
        `_Static_assert(offsetof(${s}, ${f.name}) == ${f.offset}, "${r.name}.${f.name}: offset ${f.offset}");\n`;
      src +=
        `_Static_assert(sizeof(((${s} *)0)->${f.name}) == ${f.size}, "${r.name}.${f.name}: size ${f.size}");\n`;
    }
  }
  return src;
}

/** Compiles `src` with `compiler -fsyntax-only`; returns its diagnostics. */
export async function compile(compiler: string, src: string) {
  const child = new Deno.Command(compiler, {
    // PackedNest puts a 32-aligned record at offset 17 on purpose.
    args: [
      "-std=c11",
      "-fsyntax-only",
      "-Wall",
      "-Wno-packed-not-aligned",
      "-x",
      "c",
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(src));
  await writer.close();
  const out = await child.output();
  return { success: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

const compiler = cc();
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
