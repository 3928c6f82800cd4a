/**
 * The `gc` backend: a new `Uint8Array` per allocation, dropped on free — what
 * plain JavaScript does, with the garbage collector as the allocator.
 *
 * @module
 */
import type { Backend } from "./backend.ts";

/** A `Uint8Array` per allocation; used = req, reserved unknown. */
export class GcBackend implements Backend<Uint8Array | null> {
  /** Always `"gc"`. */
  readonly name = "gc";
  /** An empty slot holds null, so the array can be collected. */
  readonly none = null;

  /** A zeroed array, then filled, as any other backend's block. */
  alloc(size: number): Uint8Array {
    const a = new Uint8Array(size);
    a.fill(0x50);
    return a;
  }

  /** A new array with the old contents copied in: typed arrays cannot grow. */
  resize(h: Uint8Array | null, _oldSize: number, newSize: number): Uint8Array {
    const a = new Uint8Array(newSize);
    if (h !== null) a.set(h.length <= newSize ? h : h.subarray(0, newSize));
    a.fill(0x50);
    return a;
  }

  /** Nothing to do: the slot drops its reference. */
  free(_h: Uint8Array | null, _size: number): void {}

  /** The engine does not say; each array holds exactly what was asked. */
  used(req: number): number {
    return req;
  }

  /** The engine's heap is shared with everything else: unknown. */
  reserved(): null {
    return null;
  }

  /** Nothing to give back. */
  destroy(): void {}
}
