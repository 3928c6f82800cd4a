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

// One page source per process for every heap backend instance, as malloc has
// one process heap: a run's warm-up heaps leave their pages there (kept for
// reuse by decay), as malloc's warm-ups leave theirs in the process heap.
let osPages: OsPages | undefined;
let bufferPages: BufferPages | undefined;

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

  /**
   * Makes a heap on the process's page source of its kind. Its segments are
   * kept until it is destroyed (`decayMs: Infinity`), so that its reserved
   * figure is the workload's high-water mark.
   *
   * @param buffer BufferPages instead of OsPages.
   */
  constructor(buffer: boolean) {
    this.name = buffer ? "heap-buffer" : "heap";
    const pages = buffer
      ? (bufferPages ??= new BufferPages())
      : (osPages ??= new OsPages());
    this.#heap = new Heap({ pages, decayMs: Infinity });
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

  /** `trim()` the heap, then `purge()` its page source. */
  release(): void {
    this.#heap.trim();
    this.#heap.pages.purge();
  }

  /** Destroys the heap; its pages go back to the page source. */
  destroy(): void {
    this.#heap.destroy();
  }
}
