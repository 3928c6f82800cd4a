/**
 * {@linkcode Memory}: one contiguous address space and the views over it.
 *
 * @module
 */
import { checkNumber, hex, kindOf } from "../internal/checks.ts";
import { DestroyedError } from "./errors.ts";
import { fillBytes, zeroBytes } from "../internal/bytes.ts";
import { noteDetached, revoke } from "../internal/revoke.ts";

/**
 * A typed-array constructor such as `Float64Array`, for {@linkcode Memory.view}.
 *
 * @example Any typed-array class fits
 * ```ts
 * import { BufferPages, type TypedArrayConstructor } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * 4096 });
 * const p = pages.alloc(4096);
 * const first = <T extends ArrayLike<number>>(type: TypedArrayConstructor<T>) =>
 *   pages.memory.view(type, p, 1)[0];
 * pages.memory.u8[p] = 200;
 * assert.equal(first(Uint8Array), 200);
 * assert.equal(first(Int8Array), -56);
 * ```
 */
export interface TypedArrayConstructor<T> {
  /** Makes a view of `length` elements at `byteOffset` of `buffer`. */
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  /** The size of one element; pointers must be a multiple of it. */
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * A native pointer, as FFI passes one: Deno's `Deno.PointerValue` (an opaque
 * object, or `null` for address 0) where Deno's types are present, else
 * `object | null` — so the library's types compile on Node and Bun too.
 *
 * @example Into a C function and back
 * ```ts
 * import { type NativePointer, OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const libc = Deno.dlopen("libc.so.6", {
 *   memchr: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
 * });
 * using pages = new OsPages();
 * const p = pages.alloc(4096);
 * pages.memory.u8[p + 100] = 42;
 * const found: NativePointer = libc.symbols.memchr(pages.memory.pointer(p), 42, 4096n);
 * assert.equal(pages.memory.offsetOf(found), p + 100);
 * libc.close();
 * ```
 */
export type NativePointer = typeof globalThis extends {
  Deno: { UnsafePointer: { create(value: bigint): infer P } };
} ? P
  : object | null;

/**
 * Options for {@linkcode Memory}.
 *
 * @example Memory over an ArrayBuffer of your own
 * ```ts
 * import { Memory, type MemoryOptions } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const options: MemoryOptions = {}; // no native address: not FFI memory
 * const memory = new Memory(new ArrayBuffer(8192), options);
 * memory.u32[1024] = 7;
 * assert.equal(memory.view(Uint32Array, 4096, 1)[0], 7);
 * assert.throws(() => memory.pointer(4096), TypeError);
 * ```
 */
export interface MemoryOptions {
  /**
   * The native address of byte 0 of the buffer, when the buffer is native
   * memory (as from `mmap`). Without it, {@linkcode Memory.pointer} throws.
   */
  address?: bigint;
}

/**
 * One contiguous address space — an `ArrayBuffer`, or native pages mapped as
 * one — in which pointers are plain numbers: byte offsets from its start.
 *
 * ```
 *  0        4096                                        byteLength
 *  ├────────┼──────────────────────────────────────────────┤
 *  │ page 0 │ pages handed out by the page source           │
 *  │ (null) │ ptr = offset; native address = address + ptr  │
 *  └────────┴──────────────────────────────────────────────┘
 * ```
 *
 * Page 0 is never handed out, so pointer 0 is null. The whole-range views
 * ({@linkcode Memory.u8}, {@linkcode Memory.u32}, …) make a dereference one
 * typed-array index: `memory.f64[ptr / 8]`. Every helper checks its pointer and
 * length against the range first and throws a `RangeError` rather than touch
 * anything outside it (a `TypeError` for an argument that is not a number).
 * After the owning page source is destroyed, every view (including views you
 * made earlier) reads as empty and every helper throws a
 * {@linkcode DestroyedError}.
 *
 * @example Views, copies and comparisons
 * ```ts
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * 4096 });
 * const mem = pages.memory;
 * const a = pages.alloc(64);
 * const b = pages.alloc(64);
 * mem.view(Float64Array, a, 8).set([1, 2, 3]);
 * assert.equal(mem.f64[a / 8 + 2], 3);
 * mem.u64[a / 8 + 3] = 2n ** 64n - 1n; // 64-bit integers are bigints
 * assert.equal(mem.i64[a / 8 + 3], -1n);
 * mem.f32[a / 4 + 8] = 0.5; // every width has its whole-range view
 * mem.u16[a / 2 + 18] = 0xfffe;
 * assert.equal(mem.i16[a / 2 + 18], -2);
 * assert.equal(mem.i8[a + 36], -2);
 * assert.equal(mem.u8[a + 35], 0x3f); // 0.5 as a little-endian f32
 * mem.copy(b, a, 64);
 * assert.ok(mem.equal(a, b, 64));
 * mem.fill(b, 8, 0xff);
 * assert.deepEqual([...mem.bytes(b, 9)], [255, 255, 255, 255, 255, 255, 255, 255, 0]);
 * ```
 */
export class Memory {
  /** The buffer that holds every byte; pointers are offsets into it. */
  readonly buffer: ArrayBuffer;
  /** Bytes of the whole range: `u8[ptr]`. */
  readonly u8: Uint8Array<ArrayBuffer>;
  /** Signed bytes of the whole range: `i8[ptr]`. */
  readonly i8: Int8Array<ArrayBuffer>;
  /** 16-bit signed integers of the whole range: `i16[ptr / 2]`. */
  readonly i16: Int16Array<ArrayBuffer>;
  /** 16-bit unsigned integers of the whole range: `u16[ptr / 2]`. */
  readonly u16: Uint16Array<ArrayBuffer>;
  /** 32-bit signed words of the whole range: `i32[ptr / 4]`. */
  readonly i32: Int32Array<ArrayBuffer>;
  /** 32-bit unsigned words of the whole range: `u32[ptr / 4]`. */
  readonly u32: Uint32Array<ArrayBuffer>;
  /** 32-bit floats of the whole range: `f32[ptr / 4]`. */
  readonly f32: Float32Array<ArrayBuffer>;
  /** 64-bit floats of the whole range: `f64[ptr / 8]`. */
  readonly f64: Float64Array<ArrayBuffer>;
  /** 64-bit signed integers of the whole range: `i64[ptr / 8]` (bigints). */
  readonly i64: BigInt64Array<ArrayBuffer>;
  /** 64-bit unsigned integers of the whole range: `u64[ptr / 8]` (bigints). */
  readonly u64: BigUint64Array<ArrayBuffer>;
  /** The native address of pointer 0, or `null` for non-native memory. */
  readonly address: bigint | null;
  // The address as a number (exact: the range ends below 2^53),
  // and its 32-bit halves, for the conversions of pointer() and offsetOf().
  #addressNumber = 0;
  #addressLow = 0;
  #addressHigh = 0;
  #revoked = false;

  static {
    revoke.memory = (memory) => memory.#revoked = true;
    revoke.revoked = (memory) => memory.#revoked;
  }

  /**
   * Wraps `buffer`. Page sources make their memory; you need this only to
   * build a page source of your own. The buffer must have a fixed length:
   * a resizable `ArrayBuffer` or a growable `SharedArrayBuffer` is a
   * `TypeError` (the views keep the length they were made with).
   *
   * @param buffer The bytes of the address space.
   * @param options The native address of the buffer, if it has one.
   */
  constructor(buffer: ArrayBuffer, options: MemoryOptions = {}) {
    const given: unknown = buffer;
    if (
      !(given instanceof ArrayBuffer) &&
      !(typeof SharedArrayBuffer !== "undefined" &&
        given instanceof SharedArrayBuffer)
    ) {
      throw new TypeError(
        `Memory needs an ArrayBuffer or SharedArrayBuffer, got ${
          kindOf(given)
        }`,
      );
    }
    // Views over the whole buffer are made once: those of a resizable or
    // growable buffer that have a length (all but u8 and i8, which need
    // none) would keep the old one, dropping writes past it after a grow.
    if ((given as { resizable?: boolean }).resizable === true) {
      throw new TypeError(
        "Memory needs a fixed-length buffer: the views of a resizable ArrayBuffer (one made with maxByteLength, or a WebAssembly.Memory's after toResizableBuffer()) would not follow its resize; pass a fixed-length one (or use BufferPages, which allocates its reservation up front)",
      );
    }
    if ((given as { growable?: boolean }).growable === true) {
      throw new TypeError(
        "Memory needs a fixed-length buffer: the views of a growable SharedArrayBuffer (one made with maxByteLength, or a shared WebAssembly.Memory's after toResizableBuffer()) would not follow its growth; pass a fixed-length one (or use SharedPages, which allocates its reservation up front)",
      );
    }
    const address = options?.address;
    if (address !== undefined && typeof address !== "bigint") {
      throw new TypeError(
        `Native address must be a bigint, got ${kindOf(address)}`,
      );
    }
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.i8 = new Int8Array(buffer);
    const halves = Math.floor(buffer.byteLength / 2);
    this.i16 = new Int16Array(buffer, 0, halves);
    this.u16 = new Uint16Array(buffer, 0, halves);
    const quads = Math.floor(buffer.byteLength / 4);
    this.i32 = new Int32Array(buffer, 0, quads);
    this.u32 = new Uint32Array(buffer, 0, quads);
    this.f32 = new Float32Array(buffer, 0, quads);
    const words = Math.floor(buffer.byteLength / 8);
    this.f64 = new Float64Array(buffer, 0, words);
    this.i64 = new BigInt64Array(buffer, 0, words);
    this.u64 = new BigUint64Array(buffer, 0, words);
    this.address = options?.address ?? null;
    if (this.address !== null) {
      if (
        !(this.address > 0n &&
          this.address + BigInt(buffer.byteLength) <= 2n ** 53n)
      ) {
        throw new RangeError(
          `Native address must be above 0 and the memory must end below 2^53 (a user-space range), got 0x${
            this.address.toString(16)
          }`,
        );
      }
      this.#addressNumber = Number(this.address);
      this.#addressLow = this.#addressNumber % 2 ** 32;
      this.#addressHigh = Math.floor(this.#addressNumber / 2 ** 32);
    }
  }

  /** The size of the address space in bytes; 0 once destroyed. */
  get byteLength(): number {
    return this.#revoked ? 0 : this.u8.length;
  }

  /**
   * Whether the page source that owns this memory was destroyed: every
   * helper throws a {@linkcode DestroyedError}. Its views read as empty too,
   * except those of a `WasmPages` memory, which stays its module's.
   */
  get destroyed(): boolean {
    return this.#revoked || (this.u8.length === 0 && this.buffer.detached);
  }

  /** Whether pointers can be handed to native code ({@linkcode Memory.pointer}). */
  get native(): boolean {
    return this.address !== null;
  }

  /**
   * Throws unless `[ptr, ptr + length)` lies inside the memory and `ptr` is
   * not null. Everything that touches bytes goes through this.
   *
   * @param ptr The first byte.
   * @param length The number of bytes.
   */
  check(ptr: number, length: number): void {
    // The typeof tests come first: a bigint or a symbol would throw V8's
    // own TypeError at `>` or `+`.
    if (
      typeof ptr === "number" && typeof length === "number" &&
      ptr > 0 && length >= 0 && ptr + length <= this.u8.length &&
      Number.isInteger(ptr) && Number.isInteger(length) && !this.#revoked
    ) return;
    this.#fail(ptr, length);
  }

  #fail(ptr: number, length: number): never {
    this.#checkLive();
    checkNumber(ptr, "Pointer");
    checkNumber(length, "Length");
    if (ptr === 0) throw new RangeError("Pointer is null (0)");
    if (!Number.isInteger(ptr) || ptr < 0) {
      throw new RangeError(
        `Pointer must be a non-negative integer, got ${ptr}`,
      );
    }
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(
        `Length must be a non-negative integer, got ${length}`,
      );
    }
    throw new RangeError(
      `The ${length} bytes at ${
        hex(ptr)
      } are outside the memory (${this.u8.length} bytes)`,
    );
  }

  // Throws a DestroyedError once the page source destroyed the memory, or
  // once its buffer was detached by someone else.
  #checkLive(): void {
    if (this.#revoked) {
      throw new DestroyedError(
        "Memory was used after its page source was destroyed: make a new page source",
      );
    }
    if (this.destroyed) {
      noteDetached(this);
      throw new DestroyedError(
        "Memory's buffer was detached: it was transferred (by a BYOB stream read into its bytes, buffer.transfer() or a postMessage transfer list), or it is a WebAssembly memory's that was grown: make a new page source",
      );
    }
  }

  /**
   * A `Uint8Array` over `length` bytes at `ptr` (a view, not a copy).
   *
   * @param ptr The first byte.
   * @param length The number of bytes.
   * @returns The view.
   */
  bytes(ptr: number, length: number): Uint8Array<ArrayBuffer> {
    this.check(ptr, length);
    return new Uint8Array(this.buffer, ptr, length);
  }

  /**
   * A typed view of `length` elements at `ptr`, such as
   * `view(Float64Array, ptr, 4)`. `ptr` must be a multiple of the element size.
   *
   * @param type The typed-array constructor.
   * @param ptr The first byte; aligned to `type.BYTES_PER_ELEMENT`.
   * @param length The number of elements.
   * @returns The view.
   */
  view<T>(type: TypedArrayConstructor<T>, ptr: number, length: number): T {
    const size = type?.BYTES_PER_ELEMENT;
    if (typeof size !== "number") {
      this.#checkLive();
      throw new TypeError(
        `view() takes a typed-array constructor such as Float64Array, got ${
          typeof type === "function" ? type.name : kindOf(type)
        }: for a DataView, use new DataView(memory.buffer, ptr, length)`,
      );
    }
    if (!(Number.isInteger(length) && length >= 0)) {
      this.#checkLive();
      checkNumber(length, "Element count");
      throw new RangeError(
        `Element count must be a non-negative integer, got ${length}`,
      );
    }
    this.check(ptr, length * size);
    if (ptr % size !== 0) {
      throw new RangeError(
        `Pointer ${
          hex(ptr)
        } is not aligned to ${size} bytes, as a ${type.name} needs`,
      );
    }
    return new type(this.buffer, ptr, length);
  }

  /**
   * Copies `length` bytes from `src` to `dst` (like `memcpy`). The ranges must
   * not overlap; use {@linkcode Memory.move} when they may.
   *
   * @param dst Where to copy to.
   * @param src Where to copy from.
   * @param length The number of bytes.
   */
  copy(dst: number, src: number, length: number): void {
    this.check(dst, length);
    this.check(src, length);
    if (dst < src + length && src < dst + length && length > 0) {
      throw new RangeError(
        `The ${length} bytes at ${hex(dst)} and at ${
          hex(src)
        } overlap: use move()`,
      );
    }
    this.u8.copyWithin(dst, src, src + length);
  }

  /**
   * Copies `length` bytes from `src` to `dst`; the ranges may overlap (like
   * `memmove`).
   *
   * @param dst Where to copy to.
   * @param src Where to copy from.
   * @param length The number of bytes.
   */
  move(dst: number, src: number, length: number): void {
    this.check(dst, length);
    this.check(src, length);
    this.u8.copyWithin(dst, src, src + length);
  }

  /**
   * Sets `length` bytes at `ptr` to `value` (like `memset`).
   *
   * @param ptr The first byte.
   * @param length The number of bytes.
   * @param value The byte value, 0 to 255.
   */
  fill(ptr: number, length: number, value: number): void {
    this.check(ptr, length);
    if (!(typeof value === "number" && value >>> 0 === value && value <= 255)) {
      checkNumber(value, "Byte value");
      throw new RangeError(
        `Byte value must be an integer 0 to 255, got ${value}`,
      );
    }
    fillBytes(this, ptr, ptr + length, value);
  }

  /**
   * Sets `length` bytes at `ptr` to zero.
   *
   * @param ptr The first byte.
   * @param length The number of bytes.
   */
  zero(ptr: number, length: number): void {
    this.check(ptr, length);
    zeroBytes(this, ptr, ptr + length);
  }

  /**
   * Whether `length` bytes at `a` equal `length` bytes at `b` (like `memcmp`
   * returning 0).
   *
   * @param a The first range.
   * @param b The second range.
   * @param length The number of bytes.
   * @returns `true` if every byte is equal.
   */
  equal(a: number, b: number, length: number): boolean {
    this.check(a, length);
    this.check(b, length);
    const u8 = this.u8;
    for (let i = 0; i < length; i++) {
      if (u8[a + i] !== u8[b + i]) return false;
    }
    return true;
  }

  /**
   * The native pointer for `ptr`, to pass to a C function through FFI. Only
   * native memory (from `OsPages`) has one; other memory throws a `TypeError`.
   * A null `ptr` gives `null`.
   *
   * @param ptr The pointer.
   * @returns The native pointer.
   */
  pointer(ptr: number): NativePointer {
    if (ptr === 0) return null;
    this.check(ptr, 0);
    if (this.address === null) {
      throw new TypeError(
        "This memory has no native address (it is JavaScript memory, as BufferPages, WasmPages and SharedPages give): only OsPages memory has pointers for FFI (it needs --allow-ffi; without it new Heap() and defaultPages() fall back to BufferPages)",
      );
    }
    return toPointer(this.#addressNumber + ptr);
  }

  /**
   * The pointer (offset) for a native pointer into this memory, such as one a
   * C function returned; the memory's end (one past its last byte, as
   * `mempcpy` returns) gives `byteLength`, as `pointer(byteLength)` is
   * allowed. Throws a `RangeError` if it points elsewhere.
   *
   * @param pointer The native pointer.
   * @returns The pointer as an offset; `null` gives 0.
   */
  offsetOf(pointer: NativePointer): number {
    if (pointer === null) {
      this.#checkLive();
      return 0;
    }
    if (this.address === null) {
      this.#checkLive();
      throw new TypeError(
        "This memory is not native (it is a plain ArrayBuffer): it has no native pointers",
      );
    }
    // The address in two exact halves: no BigInt arithmetic, no Number().
    try {
      scratch64[0] = (identity ??= openIdentity()).toAddress(
        pointer,
        pointer,
        0n,
      );
    } catch (cause) {
      this.#checkLive();
      throw new TypeError(
        `Native pointer must be a Deno.PointerValue (a pointer object, or null) as FFI returns it, got ${
          pointer === undefined ? "undefined" : typeof pointer
        }: make one with memory.pointer()`,
        { cause },
      );
    }
    const lo = scratch32[0], hi = scratch32[1];
    const offset = (hi - this.#addressHigh) * 2 ** 32 + (lo - this.#addressLow);
    // The end is a pointer too (as pointer(byteLength) is): C returns
    // one-past-the-end pointers (mempcpy, stpcpy).
    if (offset > 0 && offset <= this.u8.length && !this.#revoked) return offset;
    this.#checkLive();
    // In hex from its two halves: as one number it rounds from 2^53 up.
    const address = hi === 0
      ? lo.toString(16)
      : hi.toString(16) + lo.toString(16).padStart(8, "0");
    throw new RangeError(
      `Native pointer 0x${address} is not inside this memory (${
        hex(this.#addressNumber)
      } to ${hex(this.#addressNumber + this.u8.length)})`,
    );
  }
}

// Converting between a pointer object and an address is what FFI code does
// per call. Deno's own API costs ~50–120 ns a conversion (an op, and BigInt
// arithmetic around it); an FFI fast call of a libc function that returns
// its argument unchanged costs ~5–15 ns (bench/ffi_bench.ts, "pointer
// conversions"): Deno makes the pointer object or the address for the call's
// result on its fast path. `labs` is the identity on the addresses of a
// memory (below 2^63); `memmove(p, p, 0)` returns `p`, any `p`, touching
// nothing (`memset(p, 0, 0)`, with an i32 argument, took ~90 ns). Where
// libc cannot be opened, Deno's API does the same, slower.
interface Identity {
  toPointer(address: bigint): NativePointer;
  toAddress(
    pointer: NativePointer,
    again: NativePointer,
    length: bigint,
  ): bigint;
}
let identity: Identity | undefined;

function openIdentity(): Identity {
  try {
    const lib = Deno.dlopen(
      "libc.so.6",
      {
        toPointer: { name: "labs", parameters: ["usize"], result: "pointer" },
        toAddress: {
          name: "memmove",
          parameters: ["pointer", "pointer", "usize"],
          result: "u64",
        },
      } as const,
    );
    return lib.symbols as unknown as Identity;
  } catch {
    return {
      toPointer: (address) => Deno.UnsafePointer.create(address),
      toAddress: (pointer) => Deno.UnsafePointer.value(pointer),
    };
  }
}

// Scratch words to split a 64-bit address into exact 32-bit halves, and to
// build one from a number without BigInt(), whose conversion of a number
// above 2^31 costs ~40–70 ns (bench/ffi_bench.ts, "pointer conversions").
const scratch64 = new BigUint64Array(1);
const scratch32 = new Uint32Array(scratch64.buffer);

function toPointer(address: number): NativePointer {
  scratch32[0] = address >>> 0;
  scratch32[1] = (address / 2 ** 32) >>> 0;
  return (identity ??= openIdentity()).toPointer(scratch64[0]);
}
