/**
 * The `malloc` and `malloc-view` backends: libc `malloc`/`realloc`/`free`
 * through Deno FFI. `malloc` writes its blocks with libc `memset`;
 * `malloc-view` writes them through a `getArrayBuffer` view, as JavaScript
 * code that wants to read or write a malloc'd block must. `calloc` (zeroed
 * blocks, then `memset`) is for the pair benchmarks. Needs `--allow-ffi`.
 *
 * @module
 */
import { BYTE, writeArray } from "../_write.ts";
import type { Backend, Footprint } from "./backend.ts";

const SYMBOLS = {
  malloc: { parameters: ["usize"], result: "pointer" },
  calloc: { parameters: ["usize", "usize"], result: "pointer" },
  realloc: { parameters: ["pointer", "usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  // memset returns its first argument; "void" skips making a pointer object
  // for it (the x86-64 and arm64 ABIs let the caller ignore a result).
  memset: { parameters: ["pointer", "i32", "usize"], result: "void" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
  malloc_usable_size: { parameters: ["pointer"], result: "usize" },
} as const;

// struct mallinfo2: ten size_t fields.
const MALLINFO2 = {
  mallinfo2: {
    parameters: [],
    result: { struct: Array(10).fill("usize") },
  },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | undefined;
let mallinfo2: (() => Uint8Array) | null | undefined;
// 64-bit parameters must be BigInt (a number deoptimises every call), and
// making a BigInt allocates: so every size the workloads use is made once.
let bigSizes: bigint[] = [];

function open(): Libc {
  if (libc) return libc;
  libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  try {
    const lib = Deno.dlopen("libc.so.6", MALLINFO2);
    mallinfo2 = lib.symbols.mallinfo2 as () => Uint8Array;
  } catch {
    mallinfo2 = null; // glibc before 2.33, or another libc: reserved "?"
  }
  return libc;
}

/**
 * What malloc holds from the OS: glibc's `mallinfo2()` arena (bytes its
 * arenas took with `sbrk`/`mmap`) plus hblkhd (bytes of blocks `mmap`ed one
 * by one), or null if this libc has no `mallinfo2`. The whole process shares
 * it: the runtime's own blocks are in it too.
 *
 * @returns Bytes, or null.
 */
function mallocHeld(): number | null {
  open();
  if (!mallinfo2) return null;
  const v = new BigUint64Array(mallinfo2().buffer);
  return Number(v[0]) + Number(v[4]);
}

/**
 * libc malloc, each block written with `memset`.
 *
 * - used: the sum of `malloc_usable_size` over the live blocks (what each
 *   block can hold; malloc's 8–16-byte chunk headers are not in it).
 * - reserved: what malloc took from the OS since this instance was made
 *   (`mallocHeld()` now less at creation), but at least `used`: the
 *   runtime shares malloc, so free space it (or an earlier run) left behind
 *   can hold this backend's blocks without malloc taking anything new.
 */
export class MallocBackend implements Backend<Deno.PointerValue> {
  /** `"malloc"` (or a subclass's name). */
  readonly name: string = "malloc";
  /** An empty slot holds the null pointer. */
  readonly none = null;
  /** libc's symbols. */
  protected readonly libc: Libc;
  /** `BigInt(n)` at index `n`, for every size up to the workload's largest. */
  protected readonly sizes: bigint[];
  readonly #base: number | null;

  /**
   * Opens libc and makes the BigInt sizes up to `maxSize`.
   *
   * @param maxSize The largest size the workload asks for.
   */
  constructor(maxSize: number) {
    this.libc = open();
    if (bigSizes.length <= maxSize) {
      bigSizes = Array.from({ length: maxSize + 1 }, (_, i) => BigInt(i));
    }
    this.sizes = bigSizes;
    // Give back what earlier (warm-up) runs left free, so this instance
    // starts from as small a malloc as the runtime allows.
    this.libc.malloc_trim(0n);
    this.#base = mallocHeld();
  }

  /** `malloc` then `memset`. */
  alloc(size: number): Deno.PointerValue {
    const n = this.sizes[size];
    const p = this.libc.malloc(n);
    if (p === null) throw new Error(`malloc(${size}) failed`);
    this.libc.memset(p, BYTE, n);
    return p;
  }

  /** `realloc` then `memset` over the new size. */
  resize(
    h: Deno.PointerValue,
    _oldSize: number,
    newSize: number,
  ): Deno.PointerValue {
    const n = this.sizes[newSize];
    const p = this.libc.realloc(h, n);
    if (p === null) throw new Error(`realloc(${newSize}) failed`);
    this.libc.memset(p, BYTE, n);
    return p;
  }

  /** `free`. */
  free(h: Deno.PointerValue, _size: number): void {
    this.libc.free(h);
  }

  /** See the class: usable sizes, and growth since creation. */
  measure(handles: readonly Deno.PointerValue[]): Footprint {
    let used = 0;
    for (const h of handles) {
      if (h !== null) used += Number(this.libc.malloc_usable_size(h));
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
  bytes(h: Deno.PointerValue, size: number): Uint8Array {
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(h!, size));
  }

  /** Nothing: the workload loop frees every block it allocated. */
  destroy(): void {}
}

/**
 * libc malloc, each block written through a `Uint8Array` over
 * `Deno.UnsafePointerView.getArrayBuffer(p, size)`: the way JavaScript code
 * reaches a malloc'd block's bytes (a view per block, several hundred ns).
 */
export class MallocViewBackend extends MallocBackend {
  /** Always `"malloc-view"`. */
  override readonly name = "malloc-view";

  /** `malloc`, then a view of the block, written by `writeArray`. */
  override alloc(size: number): Deno.PointerValue {
    const p = this.libc.malloc(this.sizes[size]);
    if (p === null) throw new Error(`malloc(${size}) failed`);
    writeArray(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, size)));
    return p;
  }

  /** `realloc`, then a view of the new size, written by `writeArray`. */
  override resize(
    h: Deno.PointerValue,
    _oldSize: number,
    newSize: number,
  ): Deno.PointerValue {
    const p = this.libc.realloc(h, this.sizes[newSize]);
    if (p === null) throw new Error(`realloc(${newSize}) failed`);
    writeArray(
      new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, newSize)),
    );
    return p;
  }
}

/**
 * libc `calloc` (zeroed, as every heap block is), then `memset`: for the
 * alloc+free pair benchmarks, not the report.
 */
export class CallocBackend extends MallocBackend {
  /** Always `"calloc"`. */
  override readonly name = "calloc";

  /** `calloc(1, size)` then `memset`. */
  override alloc(size: number): Deno.PointerValue {
    const n = this.sizes[size];
    const p = this.libc.calloc(1n, n);
    if (p === null) throw new Error(`calloc(1, ${size}) failed`);
    this.libc.memset(p, BYTE, n);
    return p;
  }
}
