/**
 * {@linkcode Backend}: the narrow interface the workload loop drives. Each
 * backend allocates in its own natural way and writes 0x50 over every
 * allocation itself, inside the timed call.
 *
 * @module
 */
/**
 * One allocator under test. `H` is what a live allocation is held by: a
 * number (heap, thi.ng), a native pointer (malloc, malloc-view) or a
 * `Uint8Array` (gc, typedarray-pool).
 */
export interface Backend<H> {
  /** The backend's name in the report. */
  readonly name: string;
  /** The handle stored in an empty slot. */
  readonly none: H;
  /**
   * Allocates `size` bytes and writes 0x50 over all of them.
   *
   * @param size Bytes, at least 1.
   * @returns The allocation.
   */
  alloc(size: number): H;
  /**
   * Resizes an allocation and writes 0x50 over all `newSize` bytes.
   *
   * @param h The allocation.
   * @param oldSize Its size.
   * @param newSize The new size.
   * @returns The allocation from now on.
   */
  resize(h: H, oldSize: number, newSize: number): H;
  /**
   * Frees an allocation.
   *
   * @param h The allocation.
   * @param size Its size.
   */
  free(h: H, size: number): void;
  /**
   * What the backend holds at the end of a phase (not timed).
   *
   * @param handles Every slot: a live allocation, or {@linkcode Backend.none}.
   * @returns Its figures.
   */
  measure(handles: readonly H[]): Footprint;
  /**
   * Gives back to the system what the backend keeps after everything was
   * freed (heap: `trim()` then the page source's `purge()`; malloc:
   * `malloc_trim(0)`), for the report's `released` line. Backends that
   * cannot leave it out.
   */
  release?(): void;
  /**
   * The bytes of an allocation, for tests (never in a timed loop).
   *
   * @param h The allocation.
   * @param size Its size.
   * @returns A view of its `size` bytes.
   */
  bytes(h: H, size: number): Uint8Array;
  /** Gives everything back. */
  destroy(): void;
}

/** A backend's own figures; null where it cannot say. */
export interface Footprint {
  /** Bytes its live allocations occupy (at least what they asked for). */
  used: number | null;
  /** Bytes it holds from the system (or the engine) for them. */
  reserved: number | null;
}

/** The backends of the report, in its order. */
export const BACKEND_NAMES = [
  "heap",
  "heap-unsafe",
  "heap-buffer",
  "malloc",
  "malloc-view",
  "gc",
  "typedarray-pool",
  "thi.ng",
] as const;

/** A backend's name. */
export type BackendName = typeof BACKEND_NAMES[number];
