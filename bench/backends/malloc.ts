/**
 * The `malloc` backend: libc `malloc`/`realloc`/`free`, and `memset` for the
 * 0x50 writes, through Deno FFI. Needs `--allow-ffi`.
 *
 * @module
 */
import type { Backend } from "./backend.ts";

const SYMBOLS = {
  malloc: { parameters: ["usize"], result: "pointer" },
  realloc: { parameters: ["pointer", "usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  // memset returns its first argument; "void" skips making a pointer object
  // for it (the x86-64 and arm64 ABIs let the caller ignore a result).
  memset: { parameters: ["pointer", "i32", "usize"], result: "void" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
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
    mallinfo2 = null; // glibc before 2.33, or another libc: used/reserved "?"
  }
  return libc;
}

/** The fields of glibc's `struct mallinfo2` that the report uses. */
export interface MallocInfo {
  /** Bytes of the main arena(s) obtained with `sbrk`/arena `mmap`. */
  arena: number;
  /** Bytes in blocks `mmap`ed one by one (large allocations). */
  hblkhd: number;
  /** Bytes allocated in the arenas (live chunks). */
  uordblks: number;
}

/**
 * Reads `mallinfo2()`, or null if this libc has none.
 *
 * @returns The figures.
 */
export function mallocInfo(): MallocInfo | null {
  open();
  if (!mallinfo2) return null;
  const v = new BigUint64Array(mallinfo2().buffer);
  return {
    arena: Number(v[0]),
    hblkhd: Number(v[4]),
    uordblks: Number(v[7]),
  };
}

/**
 * libc malloc. used = uordblks + hblkhd (live chunks, including malloc's own
 * 8–16 bytes of chunk header, plus mmapped blocks) and reserved = arena +
 * hblkhd (what the arenas took from the OS, plus mmapped blocks). Both have
 * the runtime's own live bytes at creation (its uordblks + hblkhd) taken off,
 * so they count this backend's blocks; the runtime's free chunks stay in
 * reserved, as the backend may reuse them.
 */
export class MallocBackend implements Backend<Deno.PointerValue> {
  /** Always `"malloc"`. */
  readonly name = "malloc";
  /** An empty slot holds the null pointer. */
  readonly none = null;
  readonly #libc: Libc;
  readonly #sizes: bigint[];
  readonly #base: MallocInfo | null;

  /**
   * Opens libc and makes the BigInt sizes up to `maxSize`.
   *
   * @param maxSize The largest size the workload asks for.
   */
  constructor(maxSize: number) {
    this.#libc = open();
    if (bigSizes.length <= maxSize) {
      bigSizes = Array.from({ length: maxSize + 1 }, (_, i) => BigInt(i));
    }
    this.#sizes = bigSizes;
    // A fresh instance starts from a trimmed malloc: pages that an earlier
    // (warm-up) run left mapped would spare this run the page faults that
    // every other backend's fresh instance pays.
    this.#libc.malloc_trim(0n);
    this.#base = mallocInfo();
  }

  /** `malloc` then `memset`. */
  alloc(size: number): Deno.PointerValue {
    const n = this.#sizes[size];
    const p = this.#libc.malloc(n);
    if (p === null) throw new Error(`malloc(${size}) failed`);
    this.#libc.memset(p, 0x50, n);
    return p;
  }

  /** `realloc` then `memset` over the new size. */
  resize(
    h: Deno.PointerValue,
    _oldSize: number,
    newSize: number,
  ): Deno.PointerValue {
    const n = this.#sizes[newSize];
    const p = this.#libc.realloc(h, n);
    if (p === null) throw new Error(`realloc(${newSize}) failed`);
    this.#libc.memset(p, 0x50, n);
    return p;
  }

  /** `free`. */
  free(h: Deno.PointerValue, _size: number): void {
    this.#libc.free(h);
  }

  /** uordblks + hblkhd, less the figure at creation; null without mallinfo2. */
  used(_req: number): number | null {
    const now = mallocInfo();
    if (!now || !this.#base) return null;
    return now.uordblks + now.hblkhd - this.#base.uordblks - this.#base.hblkhd;
  }

  /** arena + hblkhd, less the runtime's live bytes at creation; null without mallinfo2. */
  reserved(): number | null {
    const now = mallocInfo();
    if (!now || !this.#base) return null;
    return now.arena + now.hblkhd - this.#base.uordblks - this.#base.hblkhd;
  }

  /** Nothing: the workload loop frees every block it allocated. */
  destroy(): void {}
}
