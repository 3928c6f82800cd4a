/**
 * The `heap` and `heap-buffer` backends: this library's Heap on native pages
 * (OsPages) or on an ArrayBuffer (BufferPages).
 *
 * @module
 */
import { Heap } from "../../heap/mod.ts";
import { BufferPages, OsPages } from "../../os/mod.ts";
import type { Backend, Footprint } from "./backend.ts";

/** Heap, with a typed-array fill over each allocation. */
export class HeapBackend implements Backend<number> {
  /** `"heap"` or `"heap-buffer"`. */
  readonly name: string;
  /** An empty slot holds the null pointer. */
  readonly none = 0;
  readonly #heap: Heap;
  // Cached: the whole-range view never changes, and a getter per fill costs.
  readonly #u8: Uint8Array;
  readonly #pages: OsPages | BufferPages;

  /**
   * Makes a heap on fresh pages.
   *
   * @param buffer BufferPages instead of OsPages.
   */
  constructor(buffer: boolean) {
    this.name = buffer ? "heap-buffer" : "heap";
    this.#pages = buffer ? new BufferPages() : new OsPages();
    this.#heap = new Heap({ pages: this.#pages });
    this.#u8 = this.#heap.memory.u8;
  }

  /** `alloc`, then a typed-array fill. */
  alloc(size: number): number {
    const p = this.#heap.alloc(size);
    this.#u8.fill(0x50, p, p + size);
    return p;
  }

  /** `resize`, then a typed-array fill. */
  resize(h: number, oldSize: number, newSize: number): number {
    const p = this.#heap.resize(h, oldSize, newSize);
    this.#u8.fill(0x50, p, p + newSize);
    return p;
  }

  /** `free`. */
  free(h: number, size: number): void {
    this.#heap.free(h, size);
  }

  /** `bytesUsed` and `bytesReserved`. */
  measure(_handles: readonly number[]): Footprint {
    return { used: this.#heap.bytesUsed, reserved: this.#heap.bytesReserved };
  }

  /** A view into the heap's memory. */
  bytes(h: number, size: number): Uint8Array {
    return this.#u8.subarray(h, h + size);
  }

  /** Destroys the heap and its pages. */
  destroy(): void {
    this.#heap.destroy();
    this.#pages.destroy();
  }
}
