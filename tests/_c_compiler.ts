// Checking record layouts with a C compiler without writing a file: the
// C source asserts the library's numbers with _Static_assert and goes to
// `gcc -fsyntax-only` through stdin, so a disagreement fails the compile.
import type { RecordLayout } from "../record/mod.ts";

/** The C compiler on this machine (gcc, else cc), or null. */
export function cCompiler(): string | null {
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

/**
 * Compiles `src` with `compiler -fsyntax-only` as C `std` (default C11);
 * returns its diagnostics.
 */
export async function compile(compiler: string, src: string, std = "c11") {
  const child = new Deno.Command(compiler, {
    // PackedNest puts a 32-aligned record at offset 17 on purpose.
    args: [
      `-std=${std}`,
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
