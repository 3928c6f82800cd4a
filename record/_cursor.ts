// Cursors: one object per record layout and memory, whose getters and
// setters read and write the fields of the record at `ptr`. The classes
// are built once per (layout, memory); their accessors close over the
// field offsets and the memory's views, so a read is one typed-array index
// and no object is made per access. A nested record or an array field
// gives back a sub-cursor the cursor owns, moved to the field.
import type { Memory } from "../os/memory.ts";
import { type Access, scalarAccess } from "./_access.ts";
import type { Placed, ScalarName } from "./_layout.ts";

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
export interface ArrayCursor<E = number, C = AnyCursor> {
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

type CursorClass = new () => AnyCursor;
const SUBS = Symbol("sub-cursors");
const classes = new WeakMap<CursorLayout, WeakMap<Memory, CursorClass>>();

/** A new cursor of `layout` over `memory`, at pointer 0. */
export function makeCursor(layout: CursorLayout, memory: Memory): AnyCursor {
  let byMemory = classes.get(layout);
  if (byMemory === undefined) {
    byMemory = new WeakMap();
    classes.set(layout, byMemory);
  }
  let C = byMemory.get(memory);
  if (C === undefined) {
    C = cursorClass(layout, memory);
    byMemory.set(memory, C);
  }
  return new C();
}

function cursorClass(layout: CursorLayout, memory: Memory): CursorClass {
  const subs: Array<() => AnyCursor | ArrayCursor<unknown>> = [];
  const proto: PropertyDescriptorMap = {};
  for (const f of layout.fields) {
    const off = f.offset;
    if (!f.array && typeof f.type === "string") {
      const a = access(memory, layout, f.type, off);
      proto[f.name] = {
        get(this: AnyCursor) {
          return a.get(this.ptr + off);
        },
        set(this: AnyCursor, v: number | bigint) {
          a.set(this.ptr + off, v);
        },
        enumerable: true,
      };
      continue;
    }
    const k = subs.length;
    const type = f.type;
    subs.push(
      f.array
        ? () => arrayCursor(memory, layout, type, f.length, off)
        : () => makeCursor(type as CursorLayout, memory),
    );
    proto[f.name] = {
      get(this: AnyCursor & { [SUBS]: AnyCursor[] }) {
        const sub = this[SUBS][k];
        sub.ptr = this.ptr + off;
        return sub;
      },
      enumerable: true,
    };
  }
  class Cursor implements AnyCursor {
    ptr = 0;
    [SUBS]: Array<AnyCursor | ArrayCursor<unknown>> = subs.map((make) =>
      make()
    );
  }
  Object.defineProperties(Cursor.prototype, proto);
  Object.defineProperty(Cursor, "name", { value: `${layout.name}Cursor` });
  return Cursor;
}

// A scalar of a record is at a multiple of its size when the record is
// aligned to at least that size and so is the offset (not so in a packed
// record).
function access(
  memory: Memory,
  layout: CursorLayout,
  type: ScalarName,
  offset: number,
  size = scalarSize(type),
): Access {
  return scalarAccess(
    memory,
    type,
    layout.align >= size && offset % size === 0,
  );
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
  layout: CursorLayout,
  type: ScalarName | CursorLayout,
  length: number,
  offset: number,
): ArrayCursor<unknown> {
  const checkIndex = (i: number) => {
    if (i >>> 0 === i && i < length) return;
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
  if (typeof type === "string") {
    const size = scalarSize(type);
    const a = access(memory, layout, type, offset, size);
    return {
      ptr: 0,
      length,
      get(i) {
        checkIndex(i);
        return a.get(this.ptr + i * size);
      },
      set(i, v) {
        checkIndex(i);
        a.set(this.ptr + i * size, v as number | bigint);
      },
      at: () => {
        throw new TypeError(
          "This array holds scalars: use get(i) and set(i, value)",
        );
      },
    };
  }
  const element = makeCursor(type, memory);
  return {
    ptr: 0,
    length,
    get: noScalar,
    set: noScalar,
    at(i) {
      checkIndex(i);
      element.ptr = this.ptr + i * type.size;
      return element;
    },
  };
}
