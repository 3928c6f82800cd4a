// The bridge's side table: the size of every live block C got, by pointer,
// for allocators that cannot tell a block's size (see docs/design.md#c-bridge).
//
//  keys:  Float64Array [ 0 | ptr | DELETED | ptr | 0 | … ]   capacity 2^k
//  sizes: Float64Array [ · | size |   ·    | size | · | … ]
//
// Open addressing with linear probing, Fibonacci hashing of the pointer's
// 16-byte granule. A get, set or delete is a few typed-array reads (~3–5 ns),
// where a Map costs ~25–30 ns per operation (bench/ffi_bench.ts, "malloc(64)
// then free"), and the table holds 16 bytes per slot, at most 4 slots per
// live block, whatever the size of the address space.

const EMPTY = 0; // pointers are never 0
const DELETED = -1; // pointers are never negative

/** Sizes of live blocks by pointer (a positive integer). */
export class SizeTable {
  #keys: Float64Array;
  #sizes: Float64Array;
  #shift: number;
  #count = 0; // live entries
  #filled = 0; // live and deleted entries

  constructor(capacity = 1024) {
    this.#keys = new Float64Array(capacity);
    this.#sizes = new Float64Array(capacity);
    this.#shift = 32 - Math.log2(capacity);
  }

  /** The number of live entries. */
  get size(): number {
    return this.#count;
  }

  /** The size stored for `ptr`, or -1. */
  get(ptr: number): number {
    const keys = this.#keys, mask = keys.length - 1;
    for (let i = this.#slot(ptr);; i = (i + 1) & mask) {
      const key = keys[i];
      if (key === ptr) return this.#sizes[i];
      if (key === EMPTY) return -1;
    }
  }

  /**
   * Stores `size` for `ptr`; throws if `ptr` is in the table already (two
   * entries for one pointer would leave one of them shadowed for good).
   */
  set(ptr: number, size: number): void {
    if ((this.#filled + 1) * 2 > this.#keys.length) this.#rehash();
    const keys = this.#keys, mask = keys.length - 1;
    // Probe to the end of the run, for `ptr` itself, taking the first
    // deleted slot on the way.
    let free = -1, i = this.#slot(ptr);
    for (let key = keys[i]; key !== EMPTY; key = keys[i = (i + 1) & mask]) {
      if (key === ptr) {
        throw new RangeError(
          `Pointer 0x${ptr.toString(16)} is in the size table already`,
        );
      }
      if (key === DELETED && free < 0) free = i;
    }
    if (free < 0) {
      free = i;
      this.#filled++;
    }
    keys[free] = ptr;
    this.#sizes[free] = size;
    this.#count++;
  }

  /** Removes `ptr`; returns its size, or -1 if it was not there. */
  delete(ptr: number): number {
    const keys = this.#keys, mask = keys.length - 1;
    for (let i = this.#slot(ptr);; i = (i + 1) & mask) {
      const key = keys[i];
      if (key === ptr) {
        keys[i] = DELETED;
        this.#count--;
        return this.#sizes[i];
      }
      if (key === EMPTY) return -1;
    }
  }

  #slot(ptr: number): number {
    // The granule's low 32 bits, mixed with the bits above 2^36.
    const granule = (ptr >>> 4) ^ ((ptr / 2 ** 36) >>> 0);
    return Math.imul(granule, 0x9e3779b1) >>> this.#shift;
  }

  // Doubles the table when live entries fill a quarter of it, else clears
  // the deleted slots at the same size.
  #rehash(): void {
    const keys = this.#keys, sizes = this.#sizes;
    const capacity = this.#count * 4 >= keys.length
      ? keys.length * 2
      : keys.length;
    this.#keys = new Float64Array(capacity);
    this.#sizes = new Float64Array(capacity);
    this.#shift = 32 - Math.log2(capacity);
    this.#count = 0;
    this.#filled = 0;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] > 0) this.set(keys[i], sizes[i]);
    }
  }
}
