/**
 * The `malloc` and `malloc-view` backends: libc `malloc`/`realloc`/`free`
 * through Deno FFI (`_libc.ts`). `malloc` writes its blocks with libc
 * `memset`; `malloc-view` writes them through a `getArrayBuffer` view, as
 * JavaScript code that wants to read or write a malloc'd block must.
 * `calloc` (zeroed blocks, then `memset`) is for the pair benchmarks. Each
 * takes the libc form its caller needs: pointer objects (`libc()`), or
 * integer addresses (`libcAddresses()`) where blocks are freed by another
 * worker. Needs `--allow-ffi`.
 *
 * @module
 */
import { type Libc, mallocHeld } from "../_libc.ts";
import { BYTE, writeArray } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

export { libc, libcAddresses } from "../_libc.ts";

// 64-bit parameters must be BigInt (a number deoptimises every call), and
// making a BigInt allocates: so every size the workloads use is made once.
let bigSizes: bigint[] = [];

/**
 * libc malloc, each block written with `memset`; `A` is how the libc form
 * holds an address.
 *
 * - used: the sum of `malloc_usable_size` over the live blocks (what each
 *   block can hold; malloc's 8–16-byte chunk headers are not in it).
 * - reserved: what malloc took from the OS since this instance was made
 *   (`mallocHeld()` now less at creation), but at least `used`: the
 *   runtime shares malloc, so free space it (or an earlier run) left behind
 *   can hold this backend's blocks without malloc taking anything new.
 */
export class MallocBackend<A> implements Backend<A> {
  /** `"malloc"` (or a subclass's name). */
  readonly name: string = "malloc";
  /** An empty slot holds the null address. */
  readonly none: A;
  /** libc's functions. */
  protected readonly libc: Libc<A>;
  /** `BigInt(n)` at index `n`, for every size up to the workload's largest. */
  protected readonly sizes: bigint[];
  readonly #base: number | null;

  /**
   * Makes the BigInt sizes up to `maxSize` and trims malloc.
   *
   * @param maxSize The largest size the workload asks for.
   * @param libc libc in the form of address wanted.
   */
  constructor(maxSize: number, libc: Libc<A>) {
    this.libc = libc;
    this.none = libc.none;
    if (bigSizes.length <= maxSize) {
      bigSizes = Array.from({ length: maxSize + 1 }, (_, i) => BigInt(i));
    }
    this.sizes = bigSizes;
    // Give back what earlier (warm-up) runs left free, so this instance
    // starts from as small a malloc as the runtime allows.
    libc.malloc_trim(0n);
    this.#base = mallocHeld();
  }

  /** `malloc` then `memset`. */
  alloc(size: number): A {
    const n = this.sizes[size];
    const p = this.libc.malloc(n);
    if (p === this.none) throw new Error(`malloc(${size}) failed`);
    this.libc.memset(p, BYTE, n);
    return p;
  }

  /** `realloc` then `memset` over the new size. */
  resize(h: A, _oldSize: number, newSize: number): A {
    const n = this.sizes[newSize];
    const p = this.libc.realloc(h, n);
    if (p === this.none) throw new Error(`realloc(${newSize}) failed`);
    this.libc.memset(p, BYTE, n);
    return p;
  }

  /** `free`. */
  free(h: A, _size: number): void {
    this.libc.free(h);
  }

  /** See the class: usable sizes, and growth since creation. */
  measure(handles: readonly A[]): Footprint {
    let used = 0;
    for (const h of handles) {
      if (h !== this.none) used += Number(this.libc.malloc_usable_size(h));
    }
    const now = mallocHeld();
    const reserved = now === null || this.#base === null
      ? null
      : Math.max(used, now - this.#base);
    return { used, reserved };
  }

  /** `malloc_trim(0)`: glibc gives back the free memory it can. */
  release(): void {
    this.libc.malloc_trim(0n);
  }

  /** A `getArrayBuffer` view of the block. */
  bytes(h: A, size: number): Uint8Array {
    return this.libc.view(h, size);
  }

  /** Nothing: the workload loop frees every block it allocated. */
  destroy(): void {}
}

/**
 * libc malloc, each block written through a `Uint8Array` over
 * `Deno.UnsafePointerView.getArrayBuffer(p, size)`: the way JavaScript code
 * reaches a malloc'd block's bytes (a view per block, several hundred ns).
 */
export class MallocViewBackend<A> extends MallocBackend<A> {
  /** Always `"malloc-view"`. */
  override readonly name = "malloc-view";

  /** `malloc`, then a view of the block, written by `writeArray`. */
  override alloc(size: number): A {
    const p = this.libc.malloc(this.sizes[size]);
    if (p === this.none) throw new Error(`malloc(${size}) failed`);
    writeArray(this.libc.view(p, size));
    return p;
  }

  /** `realloc`, then a view of the new size, written by `writeArray`. */
  override resize(h: A, _oldSize: number, newSize: number): A {
    const p = this.libc.realloc(h, this.sizes[newSize]);
    if (p === this.none) throw new Error(`realloc(${newSize}) failed`);
    writeArray(this.libc.view(p, newSize));
    return p;
  }
}

/**
 * libc `calloc` (zeroed, as every heap block is), then `memset`: for the
 * alloc+free pair benchmarks, not the report.
 */
export class CallocBackend<A> extends MallocBackend<A> {
  /** Always `"calloc"`. */
  override readonly name = "calloc";

  /** `calloc(1, size)` then `memset`. */
  override alloc(size: number): A {
    const n = this.sizes[size];
    const p = this.libc.calloc(1n, n);
    if (p === this.none) throw new Error(`calloc(1, ${size}) failed`);
    this.libc.memset(p, BYTE, n);
    return p;
  }
}
