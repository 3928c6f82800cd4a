// Reading and writing one scalar at an address of a Memory: a typed-array
// index where the field is naturally aligned, a little-endian DataView call
// where a packed record leaves it unaligned. The cursors' getters and
// setters call these with the field's address, and V8 inlines both levels.
import type { Memory } from "../os/memory.ts";
import { DestroyedError } from "../os/errors.ts";
import { hex } from "../internal/checks.ts";
import type { ScalarName } from "./_layout.ts";

/**
 * A scalar's reader and writer at `off` bytes past a cursor's `ptr` (the
 * two apart, so that an error can name the ptr the caller set).
 */
export interface Access {
  get(ptr: number, off: number): number | bigint;
  set(ptr: number, off: number, value: number | bigint): void;
}

/**
 * A field as a message names it: `Record.field`, or a function that gives
 * it (`Record.array[i]`, for the element reached last), called only when a
 * message is made.
 */
export type FieldName = string | (() => string);

const TWO_32 = 2 ** 32;
// The high half of 2^53, the smallest value a usize field refuses to read
// (past 2^53 - 1 numbers round).
const TWO_21 = 2 ** 21;

/** The DataView of a memory, made once per memory. */
const views = new WeakMap<Memory, DataView>();
function dataView(memory: Memory): DataView {
  let dv = views.get(memory);
  if (dv === undefined) {
    const u8 = memory.u8;
    dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    views.set(memory, dv);
  }
  return dv;
}

/**
 * The access to a `type` field of `memory` whose addresses are multiples
 * of its size, so that a typed-array index reaches it. `name` names the
 * field in the errors of a value of the wrong type.
 */
export function typedArrayAccess(
  memory: Memory,
  type: ScalarName,
  name: FieldName,
): Access {
  const a = typedArrayAt(memory, type, name);
  // A negative or NaN ptr reaches address -1, no byte of any memory (its
  // field could otherwise land on the memory's first bytes).
  return {
    get: (ptr, off) => a.get(ptr >= 0 ? ptr + off : -1),
    set: (ptr, off, v) => a.set(ptr >= 0 ? ptr + off : -1, v),
  };
}

// The typed-array access at an absolute address.
function typedArrayAt(
  memory: Memory,
  type: ScalarName,
  name: FieldName,
): {
  get(at: number): number | bigint;
  set(at: number, value: number | bigint): void;
} {
  // typeof first, as the generated setters do: a typed array converts a
  // string to NaN or 0 and null to 0, and a number given to a bigint view
  // throws V8's bare "Cannot convert 5 to a BigInt".
  const { num, big } = valueChecks(name, type);
  if (type === "usize") {
    const u32 = memory.u32;
    return {
      get: (at) => {
        const high = u32[at / 4 + 1];
        return high >= TWO_21
          ? pointerTooLarge(name, at, u32[at / 4], high)
          : u32[at / 4] + high * TWO_32;
      },
      set: (at, v) => {
        const p = pointerValue(v, name);
        u32[at / 4] = p % TWO_32;
        u32[at / 4 + 1] = Math.floor(p / TWO_32);
      },
    };
  }
  switch (type) {
    case "i8": {
      const a = memory.i8;
      return { get: (at) => a[at], set: (at, v) => a[at] = num(v) };
    }
    case "u8": {
      const a = memory.u8;
      return { get: (at) => a[at], set: (at, v) => a[at] = num(v) };
    }
    case "i16": {
      const a = memory.i16;
      return {
        get: (at) => a[at / 2],
        set: (at, v) => a[at / 2] = num(v),
      };
    }
    case "u16": {
      const a = memory.u16;
      return {
        get: (at) => a[at / 2],
        set: (at, v) => a[at / 2] = num(v),
      };
    }
    case "i32": {
      const a = memory.i32;
      return {
        get: (at) => a[at / 4],
        set: (at, v) => a[at / 4] = num(v),
      };
    }
    case "u32": {
      const a = memory.u32;
      return {
        get: (at) => a[at / 4],
        set: (at, v) => a[at / 4] = num(v),
      };
    }
    case "f32": {
      const a = memory.f32;
      return {
        get: (at) => a[at / 4],
        set: (at, v) => a[at / 4] = num(v),
      };
    }
    case "f64": {
      const a = memory.f64;
      return {
        get: (at) => a[at / 8],
        set: (at, v) => a[at / 8] = num(v),
      };
    }
    case "i64": {
      const a = memory.i64;
      return {
        get: (at) => a[at / 8],
        set: (at, v) => a[at / 8] = big(v),
      };
    }
    case "u64": {
      const a = memory.u64;
      return {
        get: (at) => a[at / 8],
        set: (at, v) => a[at / 8] = big(v),
      };
    }
  }
  return type satisfies never;
}

/**
 * The access to a `type` field of `memory` at any address (a packed
 * record's): a little-endian DataView. `name` names the field in errors.
 * Where a typed array reads a bad address as undefined, a DataView would
 * round a fractional one and throw V8's own message for one outside it, so
 * every byte of the field is checked first: a ptr that is no non-negative
 * integer, or a field past the memory's end, is a RangeError naming the
 * field and the ptr (and a destroyed memory's a DestroyedError), before
 * any byte is read or written.
 */
export function dataViewAccess(
  memory: Memory,
  type: ScalarName,
  name: FieldName,
  size: number,
): Access {
  // Made at the first access, inside the memory: a DataView of a detached
  // buffer (a destroyed memory) throws V8's message on construction.
  let view: DataView | undefined;
  // The field's address, checked whole (all 8 bytes of a usize before
  // either half is written), then the value, as a typed array's setter sees
  // them. (byteLength is 0 once the memory is destroyed, revoked too.)
  const at = (ptr: number, off: number): DataView => {
    if (
      !(Number.isInteger(ptr) && ptr >= 0 &&
        ptr + off + size <= memory.byteLength)
    ) outside(memory, name, type, ptr, off, size);
    return view ??= dataView(memory);
  };
  const { num, big } = valueChecks(name, type);
  switch (type) {
    case "usize":
      return {
        get: (ptr, off) => {
          const dv = at(ptr, off), a = ptr + off;
          const low = dv.getUint32(a, true), high = dv.getUint32(a + 4, true);
          return high >= TWO_21
            ? pointerTooLarge(name, a, low, high)
            : low + high * TWO_32;
        },
        set: (ptr, off, v) => {
          const dv = at(ptr, off), a = ptr + off, p = pointerValue(v, name);
          dv.setUint32(a, p % TWO_32, true);
          dv.setUint32(a + 4, Math.floor(p / TWO_32), true);
        },
      };
    case "i8":
      return {
        get: (ptr, off) => at(ptr, off).getInt8(ptr + off),
        set: (ptr, off, v) => at(ptr, off).setInt8(ptr + off, num(v)),
      };
    case "u8":
      return {
        get: (ptr, off) => at(ptr, off).getUint8(ptr + off),
        set: (ptr, off, v) => at(ptr, off).setUint8(ptr + off, num(v)),
      };
    case "i16":
      return {
        get: (ptr, off) => at(ptr, off).getInt16(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setInt16(ptr + off, num(v), true),
      };
    case "u16":
      return {
        get: (ptr, off) => at(ptr, off).getUint16(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setUint16(ptr + off, num(v), true),
      };
    case "i32":
      return {
        get: (ptr, off) => at(ptr, off).getInt32(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setInt32(ptr + off, num(v), true),
      };
    case "u32":
      return {
        get: (ptr, off) => at(ptr, off).getUint32(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setUint32(ptr + off, num(v), true),
      };
    case "f32":
      return {
        get: (ptr, off) => at(ptr, off).getFloat32(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setFloat32(ptr + off, num(v), true),
      };
    case "f64":
      return {
        get: (ptr, off) => at(ptr, off).getFloat64(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setFloat64(ptr + off, num(v), true),
      };
    case "i64":
      return {
        get: (ptr, off) => at(ptr, off).getBigInt64(ptr + off, true),
        set: (ptr, off, v) => at(ptr, off).setBigInt64(ptr + off, big(v), true),
      };
    case "u64":
      return {
        get: (ptr, off) => at(ptr, off).getBigUint64(ptr + off, true),
        set: (ptr, off, v) =>
          at(ptr, off).setBigUint64(ptr + off, big(v), true),
      };
  }
}

// The error of a field of `size` bytes, `off` bytes past `ptr`, that is not
// inside `memory`.
function outside(
  memory: Memory,
  name: FieldName,
  type: ScalarName,
  ptr: number,
  off: number,
  size: number,
): never {
  if (memory.destroyed) destroyed();
  const field = `Field ${nameOf(name)} (${type})`;
  if (!(Number.isInteger(ptr) && ptr >= 0)) {
    throw new RangeError(
      `${field} at ptr ${ptr} is in no memory: a cursor's ptr must be a non-negative integer`,
    );
  }
  throw new RangeError(
    `${field} at ptr ${hex(ptr)} + ${off} ends at ${
      ptr + off + size
    }, past the memory's ${memory.u8.length} bytes: move the cursor to a record inside the memory`,
  );
}

/**
 * Throws the DestroyedError of a memory whose page source was destroyed,
 * in the words of the memory's own helpers.
 */
export function destroyed(): never {
  throw new DestroyedError(
    "Memory was used after its page source was destroyed: make a new page source",
  );
}

const nameOf = (name: FieldName): string =>
  typeof name === "string" ? name : name();

// The value checks of a field's setters: the value itself if it is of the
// field's kind (a number, or a bigint for i64/u64), else badValue's error.
function valueChecks(name: FieldName, type: ScalarName): {
  num(v: unknown): number;
  big(v: unknown): bigint;
} {
  return {
    num: (v) => typeof v === "number" ? v : badValue(v, name, type),
    big: (v) => typeof v === "bigint" ? v : badValue(v, name, type),
  };
}

/**
 * Throws the TypeError of a value of the wrong type for a `type` field:
 * `i64`/`u64` take a bigint, every other scalar a number.
 */
export function badValue(
  v: unknown,
  name: FieldName,
  type: ScalarName,
): never {
  const takes = type === "i64" || type === "u64"
    ? "a bigint, such as 5n or BigInt(x)"
    : type === "usize"
    ? "a number (a pointer)"
    : "a number";
  throw new TypeError(
    `Field ${nameOf(name)} (${type}) must be ${takes}, got ${describe(v)}`,
  );
}

/**
 * A value for a pointer field (usize), which is read and written as a
 * number in two 32-bit halves: a TypeError for anything but a number, a
 * RangeError for a number that is not an integer from 0 to 2^53 − 1, as no
 * allocator returns one.
 */
export function pointerValue(v: unknown, name: FieldName): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v !== "number") badValue(v, name, "usize");
  throw new RangeError(
    `Field ${
      nameOf(name)
    } (usize) holds a pointer: an integer from 0 to 2^53 - 1, got ${v}`,
  );
}

/**
 * Throws the RangeError of a usize field at `at` whose 64 bits (C may
 * have stored a full address) are 2^53 or more: past 2^53 - 1 numbers
 * round, and a rounded pointer would reach the wrong bytes. (2^53 itself
 * is refused too, as a write of it is.)
 */
export function pointerTooLarge(
  name: FieldName,
  at: number,
  low: number,
  high: number,
): never {
  const value = (BigInt(high) << 32n) | BigInt(low);
  throw new RangeError(
    `Field ${nameOf(name)} (usize) at ${
      hex(at)
    } holds ${value}, above 2^53 - 1 (Number.MAX_SAFE_INTEGER), past which numbers round: declare the field u64 to read it as a bigint, or read its 8 bytes with DataView's getBigUint64`,
  );
}

/**
 * A value named in a message, without calling its toString (which may
 * throw).
 */
export function describe(v: unknown): string {
  switch (typeof v) {
    case "number":
      return `the number ${v}`;
    case "string":
      return `the string ${
        JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)
      }`;
    case "bigint":
      return `the bigint ${v}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "object":
      return v === null ? "null" : Array.isArray(v) ? "an array" : "an object";
    default:
      return String(v); // undefined, a boolean
  }
}
