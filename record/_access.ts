// Reading and writing one scalar at an address of a Memory: a typed-array
// index where the field is naturally aligned, a little-endian DataView call
// where a packed record leaves it unaligned. The cursors' getters and
// setters call these with the field's address, and V8 inlines both levels.
import type { Memory } from "../os/memory.ts";
import type { ScalarName } from "./_layout.ts";

/** A scalar's reader and writer at an absolute address. */
export interface Access {
  get(at: number): number | bigint;
  set(at: number, value: number | bigint): void;
}

const TWO_32 = 2 ** 32;

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
 * of its size, so that a typed-array index reaches it.
 */
export function typedArrayAccess(memory: Memory, type: ScalarName): Access {
  if (type === "usize") {
    const u32 = memory.u32;
    return {
      get: (at) => u32[at / 4] + u32[at / 4 + 1] * TWO_32,
      set: (at, v) => {
        const p = pointerValue(v);
        u32[at / 4] = p % TWO_32;
        u32[at / 4 + 1] = Math.floor(p / TWO_32);
      },
    };
  }
  switch (type) {
    case "i8": {
      const a = memory.i8;
      return { get: (at) => a[at], set: (at, v) => a[at] = v as number };
    }
    case "u8": {
      const a = memory.u8;
      return { get: (at) => a[at], set: (at, v) => a[at] = v as number };
    }
    case "i16": {
      const a = memory.i16;
      return {
        get: (at) => a[at / 2],
        set: (at, v) => a[at / 2] = v as number,
      };
    }
    case "u16": {
      const a = memory.u16;
      return {
        get: (at) => a[at / 2],
        set: (at, v) => a[at / 2] = v as number,
      };
    }
    case "i32": {
      const a = memory.i32;
      return {
        get: (at) => a[at / 4],
        set: (at, v) => a[at / 4] = v as number,
      };
    }
    case "u32": {
      const a = memory.u32;
      return {
        get: (at) => a[at / 4],
        set: (at, v) => a[at / 4] = v as number,
      };
    }
    case "f32": {
      const a = memory.f32;
      return {
        get: (at) => a[at / 4],
        set: (at, v) => a[at / 4] = v as number,
      };
    }
    case "f64": {
      const a = memory.f64;
      return {
        get: (at) => a[at / 8],
        set: (at, v) => a[at / 8] = v as number,
      };
    }
    case "i64": {
      const a = memory.i64;
      return {
        get: (at) => a[at / 8],
        set: (at, v) => a[at / 8] = v as bigint,
      };
    }
    case "u64": {
      const a = memory.u64;
      return {
        get: (at) => a[at / 8],
        set: (at, v) => a[at / 8] = v as bigint,
      };
    }
  }
  return type satisfies never;
}

/**
 * The access to a `type` field of `memory` at any address (a packed
 * record's): a little-endian DataView.
 */
export function dataViewAccess(memory: Memory, type: ScalarName): Access {
  const dv = dataView(memory);
  switch (type) {
    case "usize":
      return {
        get: (at) => {
          const a = byteAt(at);
          return dv.getUint32(a, true) + dv.getUint32(a + 4, true) * TWO_32;
        },
        set: (at, v) => {
          const p = pointerValue(v), a = byteAt(at);
          dv.setUint32(a, p % TWO_32, true);
          dv.setUint32(a + 4, Math.floor(p / TWO_32), true);
        },
      };
    case "i8":
      return {
        get: (at) => dv.getInt8(byteAt(at)),
        set: (at, v) => dv.setInt8(byteAt(at), v as number),
      };
    case "u8":
      return {
        get: (at) => dv.getUint8(byteAt(at)),
        set: (at, v) => dv.setUint8(byteAt(at), v as number),
      };
    case "i16":
      return {
        get: (at) => dv.getInt16(byteAt(at), true),
        set: (at, v) => dv.setInt16(byteAt(at), v as number, true),
      };
    case "u16":
      return {
        get: (at) => dv.getUint16(byteAt(at), true),
        set: (at, v) => dv.setUint16(byteAt(at), v as number, true),
      };
    case "i32":
      return {
        get: (at) => dv.getInt32(byteAt(at), true),
        set: (at, v) => dv.setInt32(byteAt(at), v as number, true),
      };
    case "u32":
      return {
        get: (at) => dv.getUint32(byteAt(at), true),
        set: (at, v) => dv.setUint32(byteAt(at), v as number, true),
      };
    case "f32":
      return {
        get: (at) => dv.getFloat32(byteAt(at), true),
        set: (at, v) => dv.setFloat32(byteAt(at), v as number, true),
      };
    case "f64":
      return {
        get: (at) => dv.getFloat64(byteAt(at), true),
        set: (at, v) => dv.setFloat64(byteAt(at), v as number, true),
      };
    case "i64":
      return {
        get: (at) => dv.getBigInt64(byteAt(at), true),
        set: (at, v) => dv.setBigInt64(byteAt(at), v as bigint, true),
      };
    case "u64":
      return {
        get: (at) => dv.getBigUint64(byteAt(at), true),
        set: (at, v) => dv.setBigUint64(byteAt(at), v as bigint, true),
      };
  }
}

// A DataView turns any address into an integer (NaN and 7.5 would reach
// bytes 0 and 7), where a typed-array index that is not one reaches none:
// so a packed field refuses such an address, saying why. (A negative one
// the DataView refuses itself.)
function byteAt(at: number): number {
  if (Number.isInteger(at)) return at;
  throw new RangeError(
    `A record field at address ${at} is in no memory: a cursor's ptr must be a non-negative integer`,
  );
}

/**
 * A value for a pointer field (usize), which is read and written as a
 * number in two 32-bit halves: anything but an integer from 0 to 2^53 − 1
 * throws, as no allocator returns one.
 */
export function pointerValue(v: number | bigint): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  throw new RangeError(
    `A usize field holds a pointer: an integer from 0 to 2^53 - 1, got ${
      String(v)
    }`,
  );
}
