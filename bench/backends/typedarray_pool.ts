/**
 * The `typedarray-pool` backend: npm `typedarray-pool`, which JavaScript
 * programs use to reuse buffers instead of dropping them on the garbage
 * collector. It rounds each request up to a power of two and keeps freed
 * buffers on one free list per power of two, shared by the whole process.
 *
 * @module
 */
// @ts-types="@types/typedarray-pool"
import pool from "typedarray-pool";
import { writeArray } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

// The package's free lists: on globalThis so that every copy of the package
// in a process shares them; DATA[i] holds the free buffers of 2^i bytes.
interface PoolState {
  DATA: ArrayBuffer[][];
}

function pooledBytes(): number {
  const state = (globalThis as { __TYPEDARRAY_POOL?: PoolState })
    .__TYPEDARRAY_POOL;
  let bytes = 0;
  for (const list of state?.DATA ?? []) {
    for (const buffer of list) bytes += buffer.byteLength;
  }
  return bytes;
}

/**
 * `mallocUint8` / `freeUint8`. used = the live arrays' buffers (powers of
 * two); reserved = used plus the buffers on the pool's free lists.
 */
export class TypedArrayPoolBackend implements Backend<Uint8Array | null> {
  /** Always `"typedarray-pool"`. */
  readonly name = "typedarray-pool";
  /** An empty slot holds null. */
  readonly none = null;

  /**
   * `mallocUint8` (a reused buffer is not cleared), then `writeArray` (byte
   * stores or `fill`).
   */
  alloc(size: number): Uint8Array {
    const a = pool.mallocUint8(size);
    writeArray(a);
    return a;
  }

  /** A new array with the old contents copied in; the old one to the pool. */
  resize(h: Uint8Array | null, _oldSize: number, newSize: number): Uint8Array {
    const a = pool.mallocUint8(newSize);
    if (h !== null) {
      a.set(h.length <= newSize ? h : h.subarray(0, newSize));
      pool.freeUint8(h);
    }
    writeArray(a);
    return a;
  }

  /** `freeUint8`. */
  free(h: Uint8Array | null, _size: number): void {
    if (h !== null) pool.freeUint8(h);
  }

  /** See the class. */
  measure(handles: readonly (Uint8Array | null)[]): Footprint {
    let used = 0;
    for (const h of handles) if (h !== null) used += h.buffer.byteLength;
    return { used, reserved: used + pooledBytes() };
  }

  /** The array itself. */
  bytes(h: Uint8Array | null, _size: number): Uint8Array {
    return h!;
  }

  /** Empties the pool's free lists (`clearCache`). */
  destroy(): void {
    pool.clearCache();
  }
}
