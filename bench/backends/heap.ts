/**
 * The `heap`, `heap-unsafe` and `heap-buffer` backends: this library's Heap
 * on native pages (OsPages; `heap-unsafe` allocating with `allocUnsafe`, as
 * every block is written whole right after) or on an ArrayBuffer
 * (BufferPages); and a WorkerHeap, for the cross-worker workload.
 *
 * @module
 */
import { Heap, type WorkerHeap } from "../../heap/mod.ts";
import { BufferPages, type Memory, OsPages } from "../../os/mod.ts";
import { writeBlock } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

// One page source per process for every heap backend instance, as malloc has
// one process heap: a run's warm-up heaps leave their pages there (kept for
// reuse by decay), as malloc's warm-ups leave theirs in the process heap.
let osPages: OsPages | undefined;
let bufferPages: BufferPages | undefined;

/** A Heap or a WorkerHeap, each block written by `writeBlock`. */
export class HeapBackend<T extends Heap | WorkerHeap = Heap>
  implements Backend<number> {
  /** `"heap"`, `"heap-unsafe"`, `"heap-buffer"` or what the caller named it. */
  readonly name: string;
  /** An empty slot holds the null pointer. */
  readonly none = 0;
  readonly #heap: T;
  readonly #memory: Memory;
  readonly #unsafe: boolean;

  /**
   * A heap on the process's page source of its kind. Its segments are kept
   * until it is destroyed (`decayMs: Infinity`), so that its reserved figure
   * is the workload's high-water mark.
   *
   * @param name `"heap"` (OsPages), `"heap-unsafe"` (OsPages, through
   *   `allocUnsafe`) or `"heap-buffer"` (BufferPages).
   * @returns The backend.
   */
  static make(
    name: "heap" | "heap-unsafe" | "heap-buffer",
  ): HeapBackend<Heap> {
    const pages = name === "heap-buffer"
      ? (bufferPages ??= new BufferPages())
      : (osPages ??= new OsPages());
    return new HeapBackend(new Heap({ pages, decayMs: Infinity }), name);
  }

  /**
   * Drives a heap made by the caller.
   *
   * @param heap The heap; the backend destroys it.
   * @param name Its name in the report (`"heap-unsafe"` allocates with
   *   `allocUnsafe`: the write covers every byte).
   */
  constructor(heap: T, name: string) {
    this.name = name;
    this.#heap = heap;
    this.#memory = heap.memory;
    this.#unsafe = name === "heap-unsafe";
  }

  /** The heap under test (to look at its state between phases). */
  get heap(): T {
    return this.#heap;
  }

  /** `alloc` (or `allocUnsafe`), then the write. */
  alloc(size: number): number {
    const p = this.#unsafe
      ? this.#heap.allocUnsafe(size)
      : this.#heap.alloc(size);
    writeBlock(this.#memory, p, size);
    return p;
  }

  /** `resize`, then the write. */
  resize(h: number, oldSize: number, newSize: number): number {
    const p = this.#heap.resize(h, oldSize, newSize);
    writeBlock(this.#memory, p, newSize);
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
    return this.#memory.u8.subarray(h, h + size);
  }

  /** `trim()` the heap, then `purge()` its page source. */
  release(): void {
    const heap: Heap = this.#heap instanceof Heap
      ? this.#heap
      : (this.#heap as WorkerHeap).heap;
    heap.trim();
    heap.pages.purge();
  }

  /** Destroys the heap; its pages go back to the page source. */
  destroy(): void {
    this.#heap.destroy();
  }
}
