// A record's C layout from its fields, by the rules of C on 64-bit
// platforms (the System V and Windows x64 ABIs agree on them): each field
// at the next multiple of its alignment, the record's alignment the largest
// of its fields', its size rounded up to that alignment. `packed` puts
// every field at alignment 1 (GCC's `__attribute__((packed))`); `align`
// raises the record's alignment (`__attribute__((aligned(N)))`). Every
// input is checked here, before anything is made.
import { checkPowerOfTwo, MAX_REQUEST_ALIGNMENT } from "../internal/checks.ts";
import { describe } from "./_access.ts";

/** Each scalar type's size, which is also its alignment. */
export const SCALARS = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  f32: 4,
  f64: 8,
  usize: 8,
} as const;

/** A scalar field type's name. */
export type ScalarName = keyof typeof SCALARS;

/** What the layout needs of a nested record. */
export interface Nested {
  readonly name: string;
  readonly size: number;
  readonly align: number;
}

/** One field, placed. */
export interface Placed<R extends Nested> {
  name: string;
  type: ScalarName | R;
  /** Elements: 1 for a plain field, else the fixed array's length. */
  length: number;
  /** Whether the field is a fixed array (even of length 1). */
  array: boolean;
  offset: number;
  size: number;
  align: number;
}

/** The largest record (and array) size: 1 GiB, the largest pool block. */
export const MAX_RECORD_SIZE = 2 ** 30;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Keywords a field or record by such a name would not compile under: C11's,
// C23's, and GCC's in its default (GNU) mode. (The rest of GCC's start with
// __, refused below.)
const KEYWORDS = new Set(
  ("auto break case char const continue default do double else enum extern " +
    "float for goto if inline int long register restrict return short " +
    "signed sizeof static struct switch typedef union unsigned void " +
    "volatile while " +
    "alignas alignof bool constexpr false nullptr static_assert " +
    "thread_local true typeof typeof_unqual asm").split(" "),
);
// The cursor's own members.
const MEMBERS = new Set(["ptr", "constructor", "__proto__"]);
// Object-like macros, which would replace the name in the declaration:
// NULL (<stddef.h>), the limits of <stdint.h> (C reserves every name of
// INT or UINT and _MAX, _MIN, _WIDTH or _C for it), and what GCC
// predefines on Linux in its default mode.
const MACRO =
  /^(NULL|linux|unix|U?INT\w*_(MAX|MIN|WIDTH|C)|(PTRDIFF|SIG_ATOMIC|SIZE|WCHAR|WINT)_(MAX|MIN|WIDTH))$/;

/** Throws unless `name` can name a C struct or field. */
export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string") {
    throw new TypeError(`${what} must be a string, got ${typeof name}`);
  }
  const why = !IDENTIFIER.test(name)
    ? "letters, digits and _, not starting with a digit"
    : MEMBERS.has(name)
    ? 'a cursor\'s own member: not "ptr", "constructor" or "__proto__"'
    : KEYWORDS.has(name)
    ? "a keyword of C or GCC"
    // _Bool, _Alignas, __int128, __attribute__ …: C reserves them.
    : /^_[A-Z_]/.test(name)
    ? "C reserves the names that start with __ or _ and a capital letter"
    : MACRO.test(name)
    ? "a macro of <stdint.h>, <stddef.h> or GCC, which the C declaration sees"
    : null;
  if (why !== null) {
    throw new TypeError(
      `${what} "${name}" is no usable C identifier (${why})`,
    );
  }
}

/**
 * Places `fields` (name → type, a type being a scalar name, a nested
 * record, or `{ type, length }` for a fixed array) and returns the fields,
 * size and alignment.
 */
export function layOut<R extends Nested>(
  record: string,
  fields: ReadonlyArray<readonly [unknown, unknown]>,
  isRecord: (type: unknown) => type is R,
  options: { packed?: boolean; align?: number },
): { fields: Placed<R>[]; size: number; align: number; natural: number } {
  if (fields.length === 0) {
    throw new TypeError(
      `Record ${record} has no fields: C has no empty struct; give it one field at least`,
    );
  }
  const packed = options.packed ?? false;
  if (typeof packed !== "boolean") {
    throw new TypeError(`Record ${record}: packed must be true or false`);
  }
  const seen = new Set<string>();
  const placed: Placed<R>[] = [];
  let end = 0, natural = 1;
  for (const entry of fields) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(
        `Record ${record}: each field must be a [name, type] pair`,
      );
    }
    const [name, spec] = entry;
    checkName(name, `A field name of record ${record}`);
    if (seen.has(name)) {
      throw new TypeError(
        `Record ${record} has two fields named ${name}: rename one`,
      );
    }
    seen.add(name);
    const f = fieldOf(record, name, spec, isRecord);
    const align = packed ? 1 : f.align;
    const offset = Math.ceil(end / align) * align;
    end = offset + f.size;
    if (end > MAX_RECORD_SIZE) {
      throw new RangeError(
        `Record ${record} is larger than ${MAX_RECORD_SIZE} bytes at field ${name}`,
      );
    }
    natural = Math.max(natural, align);
    placed.push({ ...f, name, offset, align: f.align });
  }
  let align = natural;
  if (options.align !== undefined) {
    checkPowerOfTwo(
      options.align,
      MAX_REQUEST_ALIGNMENT,
      "65536",
      " (a power of two from 1 to 65536)",
      "; omit it for the record's natural alignment (its fields')",
    );
    if (options.align < natural) {
      throw new RangeError(
        `Record ${record} cannot have alignment ${options.align}: its fields need ${natural} (C cannot lower a struct's alignment so); use packed: true with align: ${options.align}`,
      );
    }
    align = options.align;
  }
  const size = Math.ceil(end / align) * align;
  if (size > MAX_RECORD_SIZE) {
    throw new RangeError(
      `Record ${record} is larger than ${MAX_RECORD_SIZE} bytes with its padding`,
    );
  }
  return { fields: placed, size, align, natural };
}

function fieldOf<R extends Nested>(
  record: string,
  name: string,
  spec: unknown,
  isRecord: (type: unknown) => type is R,
): Omit<Placed<R>, "name" | "offset"> {
  const where = `Field ${name} of record ${record}`;
  let type = spec, length = 1, array = false;
  if (typeof spec === "object" && spec !== null && !isRecord(spec)) {
    if ("length" in spec) {
      ({ type, length } = spec as { type: unknown; length: unknown } as {
        type: unknown;
        length: number;
      });
      array = true;
      // typeof first: a string length ("3") was shown as 3 in a RangeError.
      if (typeof length !== "number") {
        throw new TypeError(
          `${where} is an array whose length must be a number, got ${
            describe(length)
          }`,
        );
      }
      if (
        !Number.isInteger(length) || length < 1 || length > MAX_RECORD_SIZE
      ) {
        throw new RangeError(
          `${where} is an array of length ${length}: a length must be an integer from 1 to ${MAX_RECORD_SIZE}`,
        );
      }
    } else if ("type" in spec) {
      // { type: "u8" }: an array whose length was forgotten.
      throw new TypeError(
        `${where} is an array whose length is missing: give it { type, length }`,
      );
    }
  }
  if (typeof type === "string" && Object.hasOwn(SCALARS, type)) {
    const size = SCALARS[type as ScalarName];
    return checkArray(where, {
      type: type as ScalarName,
      length,
      array,
      size: size * length,
      align: size,
    });
  }
  if (isRecord(type)) {
    return checkArray(where, {
      type,
      length,
      array,
      size: type.size * length,
      align: type.align,
    });
  }
  throw new TypeError(
    `${where} has unknown type ${
      typeof type === "string" ? JSON.stringify(type) : describe(type)
    }: use one of ${
      Object.keys(SCALARS).join(", ")
    }, a record from defineRecord, or { type, length } for an array`,
  );
}

function checkArray<T extends { size: number }>(where: string, f: T): T {
  if (f.size > MAX_RECORD_SIZE) {
    throw new RangeError(
      `${where} is ${f.size} bytes, more than ${MAX_RECORD_SIZE}: use a shorter array`,
    );
  }
  return f;
}
