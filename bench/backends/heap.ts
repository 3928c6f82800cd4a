/**
 * The `heap` and `heap-buffer` backends: this library's Heap on native pages
 * (OsPages) or on an ArrayBuffer (BufferPages).
 *
 * @module
 */
import { Heap } from "../../heap/mod.ts";
import { BufferPages, OsPages } from "../../os/mod.ts";
import { writeBlock } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

/** Heap, each block written by `writeBlock` (word stores or `fill`). */
export class HeapBackend implements Backend<number> {
  /** `"heap"` or `"heap-buffer"`. */
  readonly name: string;
  /** An empty slot holds the null pointer. */
  readonly none = 0;
  readonly #heap: Heap;
  // Cached: the whole-range views never change, and a getter per write costs.
  readonly #u8: Uint8Array;
  readonly #f64: Float64Array;
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
    this.#f64 = this.#heap.memory.f64;
  }

  /** The heap under test (to look at its state between phases). */
  get heap(): Heap {
    return this.#heap;
  }

  /** `alloc`, then the write. */
  alloc(size: number): number {
    const p = this.#heap.alloc(size);
    writeBlock(this.#u8, this.#f64, p, size);
    return p;
  }

  /** `resize`, then the write. */
  resize(h: number, oldSize: number, newSize: number): number {
    const p = this.#heap.resize(h, oldSize, newSize);
    writeBlock(this.#u8, this.#f64, p, newSize);
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
