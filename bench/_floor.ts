// The JavaScript floor of an alloc+free pair: a bare free list in an
// Int32Array, popped and pushed inside the alloc()/free() methods of a
// class, with nothing else (no class lookup, no checks, no zeroing, no
// counters). The heap's pairs in bench/alloc_bench.ts run beside it, so
// every run shows how far the heap is from what JavaScript can do at all.
import { BufferPages, type Memory } from "../os/mod.ts";

// Blocks are 128 bytes apart: an address is a shift of a slot number.
const STRIDE_SHIFT = 7;

/**
 * A free list of `count` blocks in a memory of its own: the
 * list links live in an Int32Array (slot i holds the next free slot), so a
 * pair is one load and one store each way.
 */
export class FloorList {
  /** The memory its blocks address, for the write of the pair. */
  readonly memory: Memory;
  readonly #next: Int32Array;
  #head = 0;

  /** A list of `count` blocks of up to 128 bytes each. */
  constructor(count = 64) {
    this.memory = new BufferPages({ reserve: 2 ** 20 }).memory;
    this.#next = new Int32Array(count);
    for (let i = 0; i < count; i++) this.#next[i] = i + 1;
  }

  /** Pops the first free block: its address. */
  alloc(_size: number): number {
    const slot = this.#head;
    this.#head = this.#next[slot];
    return slot << STRIDE_SHIFT;
  }

  /** Pushes the block back. */
  free(ptr: number, _size: number): void {
    const slot = ptr >> STRIDE_SHIFT;
    this.#next[slot] = this.#head;
    this.#head = slot;
  }
}
