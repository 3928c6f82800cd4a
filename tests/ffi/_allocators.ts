// Allocators for the bridge's tests: a heap seen through its sized
// interface only (no usableSize: the bridge keeps the sizes C asked for),
// a wrapper that refuses every k-th allocation, and the check that nothing
// is left.
import assert from "node:assert/strict";
import type { CAllocator } from "../../ffi/mod.ts";
import type { Heap } from "../../heap/mod.ts";
import { type Allocator, type Memory, OutOfMemoryError } from "../../os/mod.ts";

/** `heap` with only the sized Allocator methods: the bridge keeps sizes. */
export function sized(heap: Heap): Allocator {
  return {
    memory: heap.memory,
    alloc: (size) => heap.alloc(size),
    resize: (ptr, oldSize, newSize) => heap.resize(ptr, oldSize, newSize),
    free: (ptr, size) => heap.free(ptr, size),
  };
}

/** Refuses every `k`-th allocation (the k-th, 2k-th, …) of `parent`. */
export class EveryKth implements Allocator {
  calls = 0;
  constructor(readonly parent: Allocator, readonly k: number) {}
  get memory(): Memory {
    return this.parent.memory;
  }
  alloc(size: number): number {
    if (++this.calls % this.k === 0) {
      throw new OutOfMemoryError(`Allocation ${this.calls} refused`, size);
    }
    return this.parent.alloc(size);
  }
  resize(ptr: number, oldSize: number, newSize: number): number {
    return this.parent.resize(ptr, oldSize, newSize);
  }
  free(ptr: number, size: number): void {
    this.parent.free(ptr, size);
  }
}

/**
 * Nothing is left: neither the bridge nor the heap holds a byte, the heap
 * validates, and the bridge refused `refused` calls (if given).
 */
export function assertEmpty(
  heap: Heap,
  bridge: CAllocator,
  refused?: number,
): void {
  assert.equal(bridge.bytesUsed, 0, "bridge.bytesUsed");
  assert.equal(heap.bytesUsed, 0, "heap.bytesUsed");
  if (refused !== undefined) assert.equal(bridge.refusedCalls, refused);
  heap.validate();
}
