/**
 * The `gc` backend: a new `Uint8Array` per allocation, dropped on free — what
 * plain JavaScript does, with the garbage collector as the allocator.
 *
 * @module
 */
import { writeArray } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

/** A `Uint8Array` per allocation; used = their lengths, reserved unknown. */
export class GcBackend implements Backend<Uint8Array | null> {
  /** Always `"gc"`. */
  readonly name = "gc";
  /** An empty slot holds null, so the array can be collected. */
  readonly none = null;

  /** A zeroed array, then `writeArray` (byte stores or `fill`). */
  alloc(size: number): Uint8Array {
    const a = new Uint8Array(size);
    writeArray(a);
    return a;
  }

  /** A new array with the old contents copied in: typed arrays cannot grow. */
  resize(h: Uint8Array | null, _oldSize: number, newSize: number): Uint8Array {
    const a = new Uint8Array(newSize);
    if (h !== null) a.set(h.length <= newSize ? h : h.subarray(0, newSize));
    writeArray(a);
    return a;
  }

  /** Nothing to do: the slot drops its reference. */
  free(_h: Uint8Array | null, _size: number): void {}

  /**
   * used: the live arrays' lengths (exactly what was asked). reserved: null,
   * as the engine's heap is shared with everything else.
   */
  measure(handles: readonly (Uint8Array | null)[]): Footprint {
    let used = 0;
    for (const h of handles) if (h !== null) used += h.byteLength;
    return { used, reserved: null };
  }

  /** The array itself. */
  bytes(h: Uint8Array | null, _size: number): Uint8Array {
    return h!;
  }

  /** Nothing to give back. */
  destroy(): void {}
}
