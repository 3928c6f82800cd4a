/**
 * {@linkcode defineRecord} and {@linkcode RecordLayout}: C-layout records
 * over a {@linkcode Memory}.
 *
 * @module
 */
import { Memory } from "../os/memory.ts";
import { Pool } from "../pool/pool.ts";
import type { PoolOptions } from "../pool/pool_types.ts";
import { type ArrayCursor, type CursorLayout, makeCursor } from "./_cursor.ts";
import { checkName, layOut, type Placed } from "./_layout.ts";
import { cDeclaration, ffiType } from "./_c.ts";
import { RecordArray } from "./record_array.ts";
import { checkNumber, checkOptions, checkPointer } from "../internal/checks.ts";
import { describe } from "./_access.ts";

export type { ArrayCursor } from "./_cursor.ts";

/**
 * The scalar field types: signed and unsigned integers of 8 to 64 bits,
 * `f32`/`f64`, and `usize`, a pointer (8 bytes; read and written as a
 * number, like the allocators' pointers, from 0 to 2^53 − 1: reading one
 * that holds more, as a full 64-bit address C wrote may, throws a
 * RangeError — declare such a field `u64` to read it as a bigint). Each is
 * aligned to its size.
 *
 * @example
 * ```ts
 * import { defineRecord, type ScalarType } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const t: ScalarType = "u16";
 * assert.equal(defineRecord("Half", { h: t }).size, 2);
 * ```
 */
export type ScalarType =
  | "i8"
  | "u8"
  | "i16"
  | "u16"
  | "i32"
  | "u32"
  | "i64"
  | "u64"
  | "f32"
  | "f64"
  | "usize";

/**
 * A fixed array field: `length` (1 or more) elements of a scalar type or a
 * record, like C's `float v[3]`.
 *
 * @example
 * ```ts
 * import { type ArrayField, defineRecord } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const v: ArrayField = { type: "f32", length: 3 };
 * assert.equal(defineRecord("Vec3", { v }).size, 12);
 * ```
 */
export interface ArrayField {
  /** The element type. */
  readonly type: ScalarType | RecordLayout;
  /** The number of elements: an integer from 1. */
  readonly length: number;
}

/**
 * A field's type: a scalar's name, a nested record, or a fixed array.
 *
 * @example
 * ```ts
 * import { defineRecord, type FieldType } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const Point = defineRecord("Point", { x: "f64", y: "f64" });
 * const types: FieldType[] = ["u8", Point, { type: Point, length: 2 }];
 * assert.equal(types.length, 3);
 * ```
 */
export type FieldType = ScalarType | RecordLayout | ArrayField;

/**
 * The fields of a record, in order: field name → type. Names are C
 * identifiers (not `ptr`, which the cursor uses).
 *
 * @example
 * ```ts
 * import { defineRecord, type RecordFields } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const fields = { id: "u32", weight: "f32" } as const satisfies RecordFields;
 * assert.equal(defineRecord("Item", fields).offsets.weight, 4);
 * ```
 */
export type RecordFields = { readonly [name: string]: FieldType };

/**
 * What a cursor's property of field type `T` is: a number, a bigint for
 * `i64`/`u64`, a cursor for a nested record, an {@linkcode ArrayCursor} for
 * an array.
 *
 * @example
 * ```ts
 * import type { FieldValue } from "@sp/mem/record";
 *
 * const id: FieldValue<"u32"> = 7;
 * const big: FieldValue<"u64"> = 7n;
 * console.log(id, big);
 * ```
 */
export type FieldValue<T> = T extends "i64" | "u64" ? bigint
  : T extends ScalarType ? number
  : T extends RecordLayout<infer F> ? RecordCursor<F>
  : T extends { readonly type: infer E; readonly length: number } ? ArrayCursor<
      FieldValue<E>,
      E extends RecordLayout<infer G> ? RecordCursor<G> : never
    >
  : never;

/**
 * A cursor over the records of one layout in one memory: set `ptr` to a
 * record's address and read or write its fields as properties (a scalar is
 * a number, `i64`/`u64` a bigint; a nested record or an array field is a
 * cursor the cursor owns, moved there). A value of the other kind (a
 * number for an `i64`, a bigint or a string for an `f64`) throws a
 * TypeError naming the field, and writes nothing. Nothing is allocated per
 * access.
 * `ptr` must have the record's `align` as allocators give it (as every
 * block of {@linkcode RecordLayout.pool} has): its real address — for
 * native memory `memory.address + ptr` — is a multiple of `align`.
 *
 * @example
 * ```ts
 * import { defineRecord, type RecordCursor } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const Point = defineRecord("Point", { x: "f64", y: "f64" });
 * using pool = Point.pool();
 * const c: RecordCursor<typeof Point.fieldTypes> = Point.cursor(pool.memory);
 * c.ptr = pool.alloc();
 * c.x = 3;
 * assert.equal(pool.memory.f64[c.ptr / 8], 3);
 * assert.throws(() => c.y = "4" as unknown as number, TypeError);
 * assert.equal(c.y, 0);
 * ```
 */
export type RecordCursor<F extends RecordFields = RecordFields> =
  & { ptr: number }
  & { -readonly [K in keyof F]: FieldValue<F[K]> };

/**
 * One placed field of a {@linkcode RecordLayout}.
 *
 * @example
 * ```ts
 * import { defineRecord, type FieldLayout } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const f: FieldLayout = defineRecord("S", { a: "u8", b: "f64" }).fields[1];
 * assert.deepEqual([f.name, f.offset, f.size, f.align], ["b", 8, 8, 8]);
 * ```
 */
export interface FieldLayout {
  /** The field's name. */
  readonly name: string;
  /** Its type, or its elements' for an array. */
  readonly type: ScalarType | RecordLayout;
  /** Elements: 1, or the array's length. */
  readonly length: number;
  /** Whether it is a fixed array. */
  readonly array: boolean;
  /** Bytes from the record's start. */
  readonly offset: number;
  /** Bytes it takes (all the elements). */
  readonly size: number;
  /** Its type's natural alignment (1 counts in a packed record). */
  readonly align: number;
}

/**
 * Options of {@linkcode defineRecord}.
 *
 * @example
 * ```ts
 * import { defineRecord, type RecordOptions } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const options: RecordOptions = { packed: true };
 * assert.equal(defineRecord("P", { a: "u8", b: "u32" }, options).size, 5);
 * ```
 */
export interface RecordOptions {
  /**
   * No padding: every field at alignment 1, like GCC's
   * `__attribute__((packed))` (default false).
   */
  readonly packed?: boolean;
  /**
   * The record's alignment, a power of two at least its fields' (any, if
   * packed), like `__attribute__((aligned(N)))`; the size is rounded up to
   * it. Default: the largest field alignment (1 if packed).
   */
  readonly align?: number;
}

/** A Deno FFI struct type: `{ struct: [...] }` of native type names. */
export type FfiStructType = { readonly struct: readonly FfiFieldType[] };
/** A Deno FFI field type: a native type name or a nested struct. */
export type FfiFieldType = ScalarType | FfiStructType;

const isLayout = (t: unknown): t is RecordLayout => t instanceof RecordLayout;

/**
 * A record's C layout: `size`, `align`, each field's offset, cursors that
 * read and write the fields over a {@linkcode Memory}, a {@linkcode Pool}
 * of its size and alignment, and its C declaration and Deno FFI type.
 * Made by {@linkcode defineRecord}.
 *
 * ```
 *  defineRecord("Particle", { x: "f64", y: "f64", vx: "f64", vy: "f64", id: "u32" })
 *  0        8        16       24       32     36     40
 *  ┌────────┬────────┬────────┬────────┬──────┬──────┐
 *  │ x      │ y      │ vx     │ vy     │ id   │ pad  │  size 40, align 8
 *  └────────┴────────┴────────┴────────┴──────┴──────┘
 * ```
 *
 * @example
 * ```ts
 * import { defineRecord } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const Particle = defineRecord("Particle", {
 *   x: "f64",
 *   y: "f64",
 *   vx: "f64",
 *   vy: "f64",
 *   id: "u32",
 * });
 * assert.equal(Particle.size, 40); // 36 bytes of fields, padded to 8
 * assert.equal(Particle.offsets.id, 32);
 * using pool = Particle.pool();
 * const p = Particle.cursor(pool.memory);
 * p.ptr = pool.alloc();
 * p.vx = 2;
 * p.x += p.vx;
 * assert.equal(p.x, 2);
 * ```
 */
export class RecordLayout<F extends RecordFields = RecordFields> {
  /** The record's name (its C struct tag). */
  readonly name: string;
  /** Bytes a record takes, trailing padding included. */
  readonly size: number;
  /** The alignment a record's address needs. */
  readonly align: number;
  /** Whether the record is packed (no padding). */
  readonly packed: boolean;
  /** The fields, in order, placed. */
  readonly fields: readonly FieldLayout[];
  /** Each field's offset in bytes, by name: constants for hand indexing. */
  readonly offsets: { readonly [K in keyof F]: number };
  /** The field types as given (for typing cursors: `typeof R.fieldTypes`). */
  readonly fieldTypes: F;
  #explicitAlign: boolean;

  /**
   * Use {@linkcode defineRecord}, which checks the fields.
   *
   * @param name The record's name.
   * @param fields The fields as given.
   * @param placed The fields laid out.
   * @param layout Size, alignment and options.
   */
  constructor(
    name: string,
    fields: F,
    placed: Placed<RecordLayout>[],
    layout: { size: number; align: number; packed: boolean; explicit: boolean },
  ) {
    this.name = name;
    this.size = layout.size;
    this.align = layout.align;
    this.packed = layout.packed;
    this.#explicitAlign = layout.explicit;
    this.fieldTypes = fields;
    this.fields = Object.freeze(placed.map((f) => Object.freeze({ ...f })));
    const offsets: Record<string, number> = {};
    for (const f of placed) offsets[f.name] = f.offset;
    this.offsets = Object.freeze(offsets) as { [K in keyof F]: number };
    Object.freeze(this);
  }

  /**
   * The offset of field `name`; throws a TypeError naming the fields if
   * there is no such field.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import assert from "node:assert/strict";
   *
   * const S = defineRecord("S", { a: "u8", b: "u16" });
   * assert.equal(S.offsetOf("b"), 2);
   * assert.throws(() => S.offsetOf("c" as "a"), TypeError);
   * ```
   *
   * @param name A field's name.
   * @returns Its offset in bytes.
   */
  offsetOf(name: keyof F & string): number {
    const offset = (this.offsets as Record<string, number>)[name];
    if (typeof offset === "number" && Object.hasOwn(this.offsets, name)) {
      return offset;
    }
    throw new TypeError(
      `Record ${this.name} has no field ${String(name)}: its fields are ${
        this.fields.map((f) => f.name).join(", ")
      }`,
    );
  }

  /**
   * The address of record `index` of an array of records starting at
   * `base`: `base + index × size`.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import assert from "node:assert/strict";
   *
   * const P = defineRecord("P", { x: "f32", y: "f32" });
   * assert.equal(P.at(1024, 3), 1024 + 3 * 8);
   * ```
   *
   * @param base The first record's address: a non-negative integer (a
   * PointerError otherwise).
   * @param index A non-negative integer.
   * @returns The address.
   */
  at(base: number, index: number): number {
    if (
      Number.isSafeInteger(index) && index >= 0 && Number.isInteger(base) &&
      base >= 0
    ) {
      return base + index * this.size;
    }
    checkNumber(base, "Base");
    // A NaN or negative base gave NaN or an address below the memory.
    checkPointer(base);
    checkNumber(index, "Index");
    throw new RangeError(
      `Index must be a non-negative integer, got ${String(index)}`,
    );
  }

  /**
   * A cursor over this layout's records in `memory` (see
   * {@linkcode RecordCursor}); make it once and move its `ptr`.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * const Vec = defineRecord("Vec", { xyz: { type: "f32", length: 3 } });
   * const Body = defineRecord("Body", { pos: Vec, mass: "f64", id: "i64" });
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const c = Body.cursor(pages.memory);
   * c.ptr = pages.alloc(4096);
   * c.pos.xyz.set(2, 1.5);
   * c.id = -1n;
   * assert.equal(pages.memory.f32[c.ptr / 4 + 2], 1.5);
   * assert.equal(pages.memory.i64[c.ptr / 8 + 3], -1n);
   * ```
   *
   * @param memory The memory the records are in (an allocator's
   * `memory`); anything else is a TypeError.
   * @returns A new cursor at pointer 0.
   */
  cursor(memory: Memory): RecordCursor<F> {
    // Checked here: a cursor over anything else (a Pool, say) was made and
    // threw V8's "Cannot read properties of undefined" at its first access.
    if (!(memory instanceof Memory)) notAMemory(memory);
    return makeCursor(this as CursorLayout, memory) as RecordCursor<F>;
  }

  /**
   * An array of `length` of these records at `ptr` in `memory` (see
   * {@linkcode RecordArray}): `at(i)` is its cursor at record `i`, checked;
   * a cursor stepped by `size` from `ptr` to `end` visits them all. `ptr`
   * must have `align` as allocators give it — its real address (for native
   * memory `memory.address + ptr`) a multiple of it; a PointerError
   * otherwise — and the records must end inside the memory (a RangeError
   * otherwise).
   *
   * @example Particles in one heap block
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import { Heap } from "@sp/mem/heap";
   * import assert from "node:assert/strict";
   *
   * const Particle = defineRecord("Particle", { x: "f64", vx: "f64" });
   * using heap = new Heap();
   * const n = 1000;
   * const ps = Particle.array(heap.memory, heap.alloc(n * Particle.size), n);
   * for (let i = 0; i < n; i++) ps.at(i).vx = 1;
   * const p = Particle.cursor(heap.memory);
   * for (p.ptr = ps.ptr; p.ptr < ps.end; p.ptr += Particle.size) {
   *   p.x += p.vx * 0.5;
   * }
   * assert.equal(heap.memory.f64[(ps.ptr + 999 * 16) / 8], 0.5);
   * assert.equal(ps.end, ps.ptr + n * 16);
   * ```
   *
   * @param memory The memory the records are in.
   * @param ptr The address of record 0.
   * @param length The number of records.
   * @returns The array.
   */
  array(memory: Memory, ptr: number, length: number): RecordArray<F> {
    return new RecordArray(this, memory, ptr, length);
  }

  /**
   * A {@linkcode Pool} of blocks of this record's size and alignment.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import assert from "node:assert/strict";
   *
   * const Node = defineRecord("Node", { left: "u32", right: "u32", v: "f64" });
   * using pool = Node.pool({ decayMs: 0 });
   * assert.equal(pool.blockSize, 16);
   * assert.equal(pool.alignment, 8);
   * ```
   *
   * @param options The pool's other options.
   * @returns The pool.
   */
  pool(options: Omit<PoolOptions, "blockSize" | "alignment"> = {}): Pool {
    return new Pool({
      ...options,
      blockSize: this.size,
      alignment: this.align,
    });
  }

  /**
   * This record's C declaration, with those of the records it nests
   * first: what a C compiler must see to agree with the layout.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import assert from "node:assert/strict";
   *
   * const S = defineRecord("S", { a: "u8", v: { type: "f32", length: 2 } });
   * assert.equal(S.cDeclaration(), "struct S {\n  uint8_t a;\n  float v[2];\n};\n");
   * ```
   *
   * @returns C source (it needs `<stdint.h>`).
   */
  cDeclaration(): string {
    return cDeclaration(this);
  }

  /**
   * The Deno FFI type to pass this record by value (`{ struct: [...] }`,
   * arrays spelt out element by element). Deno lays structs out by C's
   * natural rules only, so a packed record or one with a raised `align`
   * throws a TypeError: pass those by pointer.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import assert from "node:assert/strict";
   *
   * const P = defineRecord("P", { x: "f64", rgb: { type: "u8", length: 3 } });
   * assert.deepEqual(P.ffiType, { struct: ["f64", "u8", "u8", "u8"] });
   * ```
   */
  get ffiType(): FfiStructType {
    if (this.packed || this.#explicitAlign) {
      throw new TypeError(
        `Record ${this.name} is ${
          this.packed ? "packed" : "explicitly aligned"
        }, which Deno's FFI struct types cannot express: pass it by pointer (memory.pointer(ptr))`,
      );
    }
    return ffiType(this);
  }
}

// The TypeError of a cursor asked for over something that is no Memory;
// an allocator given in place of its memory is named as such.
function notAMemory(memory: unknown): never {
  const hasMemory = typeof memory === "object" && memory !== null &&
    (memory as { memory?: unknown }).memory instanceof Memory;
  throw new TypeError(
    hasMemory
      ? "A record cursor needs a Memory, got an object that has one (an allocator?): pass its memory, such as pool.memory or heap.memory"
      : `A record cursor needs a Memory (an allocator's memory, such as pool.memory or heap.memory), got ${
        describe(memory)
      }`,
  );
}

/**
 * Defines a record from its fields, in order, by C's layout rules (each
 * field at a multiple of its alignment, the size rounded up to the
 * record's alignment), or packed, or with a raised alignment. Fields are
 * an object (name → type) or, to keep names apart from JavaScript's key
 * rules, a list of `[name, type]` pairs. Every input is checked first: an
 * unknown type, a duplicate or bad name, no fields, a bad array length or
 * an impossible alignment throw a TypeError or RangeError naming it.
 *
 * @example
 * ```ts
 * import { defineRecord } from "@sp/mem/record";
 * import assert from "node:assert/strict";
 *
 * const S = defineRecord("S", { c: "u8", d: "f64", s: "i16" });
 * assert.deepEqual([S.offsets.c, S.offsets.d, S.offsets.s], [0, 8, 16]);
 * assert.equal(S.size, 24);
 * const P = defineRecord("P", [["c", "u8"], ["d", "f64"]], { packed: true });
 * assert.equal(P.size, 9);
 * assert.throws(() => defineRecord("Q", [["a", "u8"], ["a", "u8"]]), TypeError);
 * assert.throws(() => defineRecord("Q", { a: "f16" as "f32" }), TypeError);
 * ```
 *
 * @param name The record's name: a C identifier.
 * @param fields The fields.
 * @param options `packed` and `align`.
 * @returns The layout.
 */
export function defineRecord<const F extends RecordFields>(
  name: string,
  fields: F | ReadonlyArray<readonly [string, FieldType]>,
  options: RecordOptions = {},
): RecordLayout<F> {
  checkName(name, "A record name");
  checkOptions(options, `Record ${name}`, "{ packed: true }", [
    "packed",
    "align",
  ]);
  if (typeof fields !== "object" || fields === null) {
    throw new TypeError(
      `Record ${name}: fields must be an object or a list of [name, type] pairs`,
    );
  }
  const entries = Array.isArray(fields)
    ? fields as ReadonlyArray<readonly [unknown, unknown]>
    : Object.entries(fields);
  const out = layOut(name, entries, isLayout, options);
  const given = Array.isArray(fields)
    ? Object.fromEntries(fields) as F
    : { ...fields as F };
  return new RecordLayout<F>(name, Object.freeze(given), out.fields, {
    size: out.size,
    align: out.align,
    packed: options.packed ?? false,
    explicit: out.align > out.natural,
  });
}
