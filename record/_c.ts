// A record layout as C sees it: its declaration (for a C compiler to check
// or for C code to include) and Deno's FFI struct type.
import type { FfiFieldType, FfiStructType, RecordLayout } from "./record.ts";

const C_TYPES = {
  i8: "int8_t",
  u8: "uint8_t",
  i16: "int16_t",
  u16: "uint16_t",
  i32: "int32_t",
  u32: "uint32_t",
  i64: "int64_t",
  u64: "uint64_t",
  f32: "float",
  f64: "double",
  usize: "uintptr_t",
} as const;

/**
 * The C declarations of `layout` and, first, of every record it nests
 * (each once). Two different records of one name throw a TypeError: C
 * would see one struct.
 */
export function cDeclaration(layout: RecordLayout): string {
  const done = new Map<string, RecordLayout>();
  let out = "";
  const declare = (r: RecordLayout) => {
    const seen = done.get(r.name);
    if (seen === r) return;
    if (seen !== undefined) {
      throw new TypeError(
        `Two different records are named ${r.name}: give each a name of its own`,
      );
    }
    done.set(r.name, r);
    for (const f of r.fields) if (typeof f.type !== "string") declare(f.type);
    const attributes = [
      ...(r.packed ? ["packed"] : []),
      ...(r.align > naturalAlign(r) ? [`aligned(${r.align})`] : []),
    ];
    const attr = attributes.length > 0
      ? ` __attribute__((${attributes.join(", ")}))`
      : "";
    out += `struct${attr} ${r.name} {\n`;
    for (const f of r.fields) {
      const t = typeof f.type === "string"
        ? C_TYPES[f.type]
        : `struct ${f.type.name}`;
      out += `  ${t} ${f.name}${f.array ? `[${f.length}]` : ""};\n`;
    }
    out += "};\n";
  };
  declare(layout);
  return out;
}

// The alignment the fields give the record, without `align`.
function naturalAlign(r: RecordLayout): number {
  return r.packed ? 1 : Math.max(...r.fields.map((f) => f.align));
}

/** Deno's `{ struct: [...] }` for a record of natural layout. */
export function ffiType(layout: RecordLayout): FfiStructType {
  const struct: FfiFieldType[] = [];
  for (const f of layout.fields) {
    const t = typeof f.type === "string" ? f.type : f.type.ffiType;
    for (let i = 0; i < f.length; i++) struct.push(t);
  }
  return { struct };
}
