/**
 * {@linkcode Backend}: the narrow interface the workload loop drives. Each
 * backend allocates in its own natural way and writes 0x50 over every
 * allocation itself, inside the timed call.
 *
 * @module
 */
import type { Workload } from "../workloads.ts";

/**
 * One allocator under test. `H` is what a live allocation is held by: a
 * number (heap, thi.ng), a native pointer (malloc) or a `Uint8Array` (gc).
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
   * Bytes in use as the allocator counts them, or null if it cannot say.
   *
   * @param req The live requested bytes (for backends whose "used" is that).
   */
  used(req: number): number | null;
  /** Bytes held from the system, or null if the backend cannot say. */
  reserved(): number | null;
  /** Gives everything back. */
  destroy(): void;
}

/** Makes a fresh backend instance sized for a workload. */
export type BackendFactory = (workload: Workload) => Backend<unknown>;

/** The backends of the report, in its order. */
export const BACKEND_NAMES = [
  "heap",
  "heap-buffer",
  "malloc",
  "gc",
  "thi.ng",
] as const;

/** A backend's name. */
export type BackendName = typeof BACKEND_NAMES[number];
