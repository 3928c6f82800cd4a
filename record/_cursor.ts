// Cursors: one object per record layout and memory, whose getters and
// setters read and write the fields of the record at `ptr`. The classes
// are built once per layout and grain (the alignment its records'
// addresses are known to have); their accessors index one typed array at
// `ptr / size + offset / size`, constants in generated code, so a read is
// one typed-array index and no object is made per access. A nested record
// or an array field gives back a sub-cursor the cursor owns, moved to the
// field.
import type { Memory } from "../os/memory.ts";
import {
  type Access,
  badValue,
  dataViewAccess,
  describe,
  type FieldName,
  pointerTooLarge,
  pointerValue,
  typedArrayAccess,
} from "./_access.ts";
import type { Placed, ScalarName } from "./_layout.ts";
import { checkNumber } from "../internal/checks.ts";

/** What a cursor needs of a record layout. */
export interface CursorLayout {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly Placed<CursorLayout>[];
}

/** A cursor of any record: `ptr` and the fields' accessors. */
export interface AnyCursor {
  ptr: number;
}

/**
 * A fixed-array field: `length` elements of a scalar (`get`/`set`) or of a
 * record (`at`, a cursor the array owns, moved to the element). An index
 * out of range throws a RangeError before any memory is touched.
 */
export interface ArrayCursor<E = number, C = { ptr: number }> {
  /** The address of element 0. */
  ptr: number;
  /** The number of elements. */
  readonly length: number;
  /** Element `i` (a scalar array). */
  get(i: number): E;
  /** Writes element `i` (a scalar array). */
  set(i: number, value: E): void;
  /** A cursor at element `i` (an array of records). */
  at(i: number): C;
}

type CursorClass = new (memory: Memory) => AnyCursor;
// A cursor as its own accessors see it.
type AtPtr = AnyCursor & { [PTR]: number };
const SUBS = Symbol("sub-cursors");
// Where a cursor keeps its ptr, behind the accessor that refuses a
// non-number. (A private #ptr, declared first, ran the `pool` kind of
// bench/particles.ts at 1.62x struct-of-arrays against 1.38x; this field,
// set after the views as the plain ptr was, costs nothing measurable.)
const PTR = Symbol("ptr");
const ACCESS = Symbol("accessors");
// One class per layout and grain, whatever the memory.
const classes = new WeakMap<CursorLayout, Map<number, CursorClass>>();

/**
 * A new cursor of `layout` over `memory`, at pointer 0, for records whose
 * addresses are multiples of `grain` (a power of two; the layout's
 * alignment unless it sits unaligned in a packed record).
 */
export function makeCursor(
  layout: CursorLayout,
  memory: Memory,
  grain: number = layout.align,
): AnyCursor {
  let byGrain = classes.get(layout);
  if (byGrain === undefined) {
    byGrain = new Map();
    classes.set(layout, byGrain);
  }
  let C = byGrain.get(grain);
  if (C === undefined) {
    C = cursorClass(layout, grain);
    byGrain.set(grain, C);
  }
  return new C(memory);
}

// The largest power of two that divides n (an offset or size below 2^31),
// Infinity for 0: what an address base + n keeps of base's alignment.
const lowBit = (n: number): number => n === 0 ? Infinity : n & -n;

// One class per layout and grain, whatever the memory (so that code using
// cursors of several memories stays monomorphic): the memory's views are
// the instance's private fields, the offsets constants in generated code.
function cursorClass(layout: CursorLayout, grain: number): CursorClass {
  const scalars = layout.fields.filter((f) =>
    !f.array && typeof f.type === "string"
  );
  const others = layout.fields.filter((f) => !scalars.includes(f));
  const Base = generated(layout.name, scalars, grain) ?? closureBase();
  class WithSubs extends Base {
    [SUBS]: Array<AnyCursor | ArrayCursor<unknown>>;
    [ACCESS]: Access[];
    constructor(memory: Memory) {
      super(memory);
      this[SUBS] = others.map((f) =>
        f.array
          ? arrayCursor(
            memory,
            grain,
            f.type,
            f.length,
            f.offset,
            `${layout.name}.${f.name}`,
          )
          : makeCursor(
            f.type as CursorLayout,
            memory,
            Math.min(grain, lowBit(f.offset), (f.type as CursorLayout).align),
          )
      );
      this[ACCESS] = scalars.map((f) =>
        accessOf(
          memory,
          grain,
          f.type as ScalarName,
          f.offset,
          `${layout.name}.${f.name}`,
        )
      );
    }
  }
  const proto: PropertyDescriptorMap = {};
  scalars.forEach((f, k) => {
    const off = f.offset;
    if (
      isAligned(grain, f.type as ScalarName, off) &&
      Object.hasOwn(Base.prototype, f.name)
    ) return;
    // Unaligned (packed), or no code generation here (a content security
    // policy): through the field's Access.
    proto[f.name] = {
      get(this: AtPtr & { [ACCESS]: Access[] }) {
        return this[ACCESS][k].get(this[PTR], off);
      },
      set(this: AtPtr & { [ACCESS]: Access[] }, v: number | bigint) {
        this[ACCESS][k].set(this[PTR], off, v);
      },
      enumerable: true,
    };
  });
  others.forEach((f, k) => {
    const off = f.offset;
    proto[f.name] = {
      get(this: AtPtr & { [SUBS]: AnyCursor[] }) {
        const sub = this[SUBS][k];
        sub.ptr = fieldAt(this[PTR], off);
        return sub;
      },
      // Without a setter V8 threw "Cannot set property pos of #<WithSubs>
      // which has only a getter", and sloppy-mode code lost the write.
      set() {
        notAssignable(layout.name, f);
      },
      enumerable: true,
    };
  });
  Object.defineProperties(WithSubs.prototype, proto);
  Object.defineProperty(WithSubs, "name", { value: `${layout.name}Cursor` });
  return WithSubs;
}

// The TypeError of an assignment to a nested record or an array field: the
// cursor's field is a view of the bytes, not a value to replace.
function notAssignable(record: string, f: Placed<CursorLayout>): never {
  const name = `${record}.${f.name}`;
  const what = f.array
    ? `an array of ${f.length} ${
      typeof f.type === "string" ? f.type : f.type.name
    }`
    : `a nested ${(f.type as CursorLayout).name} record`;
  const how = !f.array
    ? `set its fields (c.${f.name}.x = …)`
    : typeof f.type === "string"
    ? `set its elements (c.${f.name}.set(i, v))`
    : `set its elements' fields (c.${f.name}.at(i).x = …)`;
  throw new TypeError(
    `Field ${name} is ${what} and cannot be assigned: ${how}, or copy its ${f.size} bytes with memory.copy`,
  );
}

// The position alone, where code cannot be generated; every field then
// goes through its Access.
function closureBase(): CursorClass {
  return class Cursor {
    [PTR] = 0;
    constructor(_memory: Memory) {}
    get ptr(): number {
      return this[PTR];
    }
    set ptr(v: number) {
      this[PTR] = typeof v === "number" ? v : notAPointer(v);
    }
  };
}

// A cursor's ptr must be a number: a string would be concatenated with the
// field's offset ("8" + 0 reads byte 80), true and null read bytes 1 and 0.
// (A number that is no address, negative or NaN, reaches no byte.)
function notAPointer(v: unknown): never {
  throw new TypeError(
    `A cursor's ptr must be a number (an address), got ${describe(v)}`,
  );
}

// The address of the field `off` bytes into the record at `ptr`, or -1 (no
// byte of any memory) for a negative or NaN `ptr`, whose field could
// otherwise land on the memory's first bytes.
function fieldAt(ptr: number, off: number): number {
  return ptr >= 0 ? ptr + off : -1;
}

// The views an aligned scalar is read through, by type.
const VIEW = {
  i8: ["i8", 1],
  u8: ["u8", 1],
  i16: ["i16", 2],
  u16: ["u16", 2],
  i32: ["i32", 4],
  u32: ["u32", 4],
  f32: ["f32", 4],
  f64: ["f64", 8],
  i64: ["i64", 8],
  u64: ["u64", 8],
  usize: ["u32", 4],
} as const;

// The getter and setter of an aligned scalar field, with the offset a
// constant in the code (which closures cannot give): a read is then the
// typed-array index alone, as with offsets written by hand. `label` names
// the field in errors (`Record.field`).
function accessors(
  name: string,
  type: ScalarName,
  offset: number,
  label: string,
): string {
  const [view, size] = VIEW[type];
  // this[PTR] / size is the same expression in every getter of a view: V8
  // computes it once for a run of accesses at one ptr, and its one
  // remainder test is the alignment check. A word index set beside ptr
  // (`#w = ptr >>> 3`) ran the `pool` kind of bench/particles.ts
  // (`compare`) at 1.97x struct-of-arrays against 2.3x, but reads the
  // neighbours of a misaligned, negative or >= 2^32 ptr; each check that
  // keeps those out (a branch in the setter, or bit operations that push
  // the index out of range) cost as much as it saved: 2.1-3.4x. A negative
  // ptr becomes -1 (a fractional index for a view of 2 bytes or more) or
  // -2^31 (for a byte view), which read undefined and write nothing: else
  // ptr -8 with offset 16 reached the memory's bytes 8..15. Both keep an
  // integer ptr an integer (Math.max with -0.5 made the index arithmetic
  // float: 1.2-1.7x the hand-written loop of bench/pool_bench.ts).
  const at = size === 1
    ? `(this[PTR] >= 0 ? this[PTR] : -2147483648) + ${offset}`
    : `Math.max(this[PTR], -1) / ${size} + ${offset / size}`;
  // (The label is a C identifier and a dot: JSON quotes it as JS does.)
  // The slow paths' calls take constants and no address: with the address
  // expression repeated in the setters' slow path, the accessors grew past
  // what V8 inlines and bench/particles.ts ran at 3-5.5x struct-of-arrays
  // instead of 1.6-2x.
  const quoted = JSON.stringify(label);
  if (type === "usize") {
    // A high half of 2^21 or more is a value of 2^53 or more, past which
    // numbers round (past the memory the half is undefined, the
    // test false, and the read NaN, as before). The test costs a loop that
    // only sums the field 2.8 -> 6 ns a read, nothing measurable in one
    // that follows the pointers (15 ns a node).
    return `get ${name}() { const a = ${at}, m = this.#u32, h = m[a + 1]; ` +
      `return h >= 2097152 ? wordsTooLarge(${quoted}, m, a) ` +
      `: m[a] + h * 4294967296; }\n` +
      `set ${name}(v) { const p = pointerValue(v, ${quoted}), a = ${at}, ` +
      `m = this.#u32; ` +
      `m[a] = p % 4294967296; m[a + 1] = Math.floor(p / 4294967296); }\n`;
  }
  // typeof first: a typed array converts a string to NaN or 0, null to 0,
  // and a bigint view throws V8's bare message for a number.
  const kind = type === "i64" || type === "u64" ? "bigint" : "number";
  return `get ${name}() { return this.#${view}[${at}]; }\n` +
    `set ${name}(v) { this.#${view}[${at}] = typeof v === "${kind}" ? v ` +
    `: badValue(v, ${quoted}, "${type}"); }\n`;
}

// The error of a generated usize getter whose word `a` of `u32` starts a
// value of 2^53 or more.
function wordsTooLarge(name: string, u32: Uint32Array, a: number): never {
  return pointerTooLarge(name, a * 4, u32[a], u32[a + 1]);
}

// A class with `ptr` and a getter and setter per aligned scalar field, or
// null where code cannot be generated. (Unaligned fields are left to the
// caller.)
function generated(
  record: string,
  fields: readonly Placed<CursorLayout>[],
  grain: number,
): CursorClass | null {
  const aligned = fields.filter((f) =>
    isAligned(grain, f.type as ScalarName, f.offset)
  );
  // Every view, used or not: with only the used ones the particle loop of
  // bench/particles.ts ran 2.0–2.3× struct-of-arrays instead of 1.6–1.8×.
  const views = Object.keys(VIEW).filter((v) => v !== "usize");
  // ptr is the PTR field behind an accessor whose setter refuses a
  // non-number (see notAPointer); the getters read the field itself.
  let body =
    `return class Cursor {\n${
      views.map((v) => `#${v};`).join(" ")
    }\nconstructor(m) { ${
      views.map((v) => `this.#${v} = m.${v};`).join(" ")
    } this[PTR] = 0; }\nget ptr() { return this[PTR]; }\n` +
    `set ptr(v) { this[PTR] = typeof v === "number" ? v : notAPointer(v); }\n`;
  for (const f of aligned) {
    body += accessors(
      f.name,
      f.type as ScalarName,
      f.offset,
      `${record}.${f.name}`,
    );
  }
  body += "};";
  let C: CursorClass;
  try {
    C = new Function(
      "pointerValue",
      "wordsTooLarge",
      "badValue",
      "notAPointer",
      "PTR",
      body,
    )(pointerValue, wordsTooLarge, badValue, notAPointer, PTR);
  } catch (e) {
    if (e instanceof EvalError) return null;
    throw e;
  }
  for (const f of aligned) {
    const d = Object.getOwnPropertyDescriptor(C.prototype, f.name)!;
    Object.defineProperty(C.prototype, f.name, { ...d, enumerable: true });
  }
  return C;
}

// A scalar is at a multiple of its size when the record's address is a
// multiple of a grain of at least that size and so is the offset (not so
// in a packed record).
function isAligned(
  grain: number,
  type: ScalarName,
  offset: number,
  size = scalarSize(type),
): boolean {
  return grain >= size && offset % size === 0;
}

// A typed array where the field is aligned, else a DataView.
function accessOf(
  memory: Memory,
  grain: number,
  type: ScalarName,
  offset: number,
  name: FieldName,
): Access {
  return isAligned(grain, type, offset)
    ? typedArrayAccess(memory, type, name)
    : dataViewAccess(memory, type, name, scalarSize(type));
}

const scalarSize = (type: ScalarName): number =>
  type === "i8" || type === "u8"
    ? 1
    : type === "i16" || type === "u16"
    ? 2
    : type === "i32" || type === "u32" || type === "f32"
    ? 4
    : 8;

function arrayCursor(
  memory: Memory,
  grain: number,
  type: ScalarName | CursorLayout,
  length: number,
  offset: number,
  label: string,
): ArrayCursor<unknown> {
  const checkIndex = (i: number) => {
    // typeof first: `>>> 0` throws on a bigint and a symbol.
    if (typeof i === "number" && i >>> 0 === i && i < length) return;
    checkNumber(i, "Index");
    throw new RangeError(
      `Index ${i} is out of range for an array of ${length} elements (0 to ${
        length - 1
      })`,
    );
  };
  const noScalar = () => {
    throw new TypeError(
      "This array holds records: use at(i) for a cursor at element i",
    );
  };
  let ptr = 0;
  if (typeof type === "string") {
    const size = scalarSize(type);
    // The element named in errors: the one the last get or set reached.
    let index = 0;
    const a = accessOf(memory, grain, type, offset, () => `${label}[${index}]`);
    // Frozen: a length written over (c.tags.length = 9) read back as the
    // array's while get and set kept the real one. (ptr stays an accessor,
    // its setter working.)
    const scalars: ArrayCursor<unknown> = {
      get ptr() {
        return ptr;
      },
      set ptr(v: number) {
        ptr = typeof v === "number" ? v : notAPointer(v);
      },
      length,
      get(i) {
        checkIndex(i);
        index = i;
        return a.get(this.ptr, i * size);
      },
      set(i, v) {
        checkIndex(i);
        index = i;
        a.set(this.ptr, i * size, v as number | bigint);
      },
      at: () => {
        throw new TypeError(
          "This array holds scalars: use get(i) and set(i, value)",
        );
      },
    };
    return Object.freeze(scalars);
  }
  const element = makeCursor(
    type,
    memory,
    Math.min(grain, lowBit(offset), lowBit(type.size), type.align),
  );
  const records: ArrayCursor<unknown> = {
    get ptr() {
      return ptr;
    },
    set ptr(v: number) {
      ptr = typeof v === "number" ? v : notAPointer(v);
    },
    length,
    get: noScalar,
    set: noScalar,
    at(i) {
      checkIndex(i);
      element.ptr = fieldAt(this.ptr, i * type.size);
      return element;
    },
  };
  return Object.freeze(records);
}
