/**
 * The `thi.ng` backend: npm `@thi.ng/malloc`'s `MemPool`, a first-fit
 * allocator over one `ArrayBuffer`, sized to fit the workload.
 *
 * @module
 */
import { MemPool } from "@thi.ng/malloc";
import { Memory } from "../../os/mod.ts";
import type { Workload } from "../workloads.ts";
import { writeBlock } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

/**
 * The pool size for a workload: every slot at its largest size with the
 * pool's 8-byte header and 8-byte alignment, doubled for fragmentation, plus
 * 1 MiB; at most what its 32-bit addresses can reach. The buffer is committed
 * lazily by the engine, so the unused part costs nothing.
 *
 * @param workload The workload.
 * @returns Bytes.
 */
export function poolSize(workload: Workload): number {
  const block = Math.ceil((workload.hi + 8) / 8) * 8;
  return Math.min(2 ** 32 - 2 ** 16, 2 * workload.slots * block + 2 ** 20);
}

/**
 * `MemPool` with its defaults (compaction and splitting on). used = the sizes
 * of its used blocks (headers and padding included); reserved = its top (the
 * high-water mark of the buffer it has carved from).
 */
export class ThingBackend implements Backend<number> {
  /** Always `"thi.ng"`. */
  readonly name = "thi.ng";
  /** An empty slot holds the null address. */
  readonly none = 0;
  readonly #pool: MemPool;
  readonly #memory: Memory;

  /**
   * Makes a pool sized for the workload.
   *
   * @param workload The workload.
   */
  constructor(workload: Workload) {
    // Our own buffer, so the writes can use views of it (the pool's are
    // protected).
    const buf = new ArrayBuffer(poolSize(workload));
    this.#pool = new MemPool({ buf });
    this.#memory = new Memory(buf);
  }

  /** `malloc`, then `writeBlock`. */
  alloc(size: number): number {
    const p = this.#pool.malloc(size);
    if (p === 0) throw new Error(`thi.ng MemPool is out of memory (${size})`);
    writeBlock(this.#memory, p, size);
    return p;
  }

  /** `realloc`, then `writeBlock`. */
  resize(h: number, _oldSize: number, newSize: number): number {
    const p = this.#pool.realloc(h, newSize);
    if (p === 0) {
      throw new Error(`thi.ng MemPool is out of memory (${newSize})`);
    }
    writeBlock(this.#memory, p, newSize);
    return p;
  }

  /** `free`. */
  free(h: number, _size: number): void {
    this.#pool.free(h);
  }

  /** The used blocks' sizes, and the pool's top. */
  measure(_handles: readonly number[]): Footprint {
    const stats = this.#pool.stats();
    return { used: stats.used.size, reserved: stats.top };
  }

  /** A view into the pool's buffer. */
  bytes(h: number, size: number): Uint8Array {
    return this.#memory.u8.subarray(h, h + size);
  }

  /** Drops the buffer. */
  destroy(): void {
    this.#pool.release();
  }
}
