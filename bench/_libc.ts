// libc's allocator through Deno FFI, declared once for the whole bench (the
// report's malloc backends, the pair and replace benchmarks, the
// cross-worker workload) and opened once per process or worker. An address
// comes in one of two forms, the same symbols declared with either:
// - pointer objects (`"pointer"`), which `Deno.UnsafePointerView` reads
//   through without a conversion;
// - plain integers (`"usize"`, bigints), which can be posted to another
//   worker. Turning a pointer object into a number and back costs about as
//   much as the malloc and free around it (the `Deno.UnsafePointer.create`
//   and `.value` rows of `bench/ffi_bench.ts`), so the cross-worker workload
//   takes this form instead.

type AddressType = "pointer" | "usize";

function symbols<A extends AddressType>(address: A) {
  return {
    malloc: { parameters: ["usize"], result: address },
    calloc: { parameters: ["usize", "usize"], result: address },
    realloc: { parameters: [address, "usize"], result: address },
    free: { parameters: [address], result: "void" },
    // memset returns its first argument; "void" skips making a value for it
    // (the x86-64 and arm64 ABIs let the caller ignore a result).
    memset: { parameters: [address, "i32", "usize"], result: "void" },
    malloc_trim: { parameters: ["usize"], result: "i32" },
    malloc_usable_size: { parameters: [address], result: "usize" },
  } as const;
}

// struct mallinfo2: ten size_t fields.
const MALLINFO2 = {
  mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
} as const;

/**
 * libc's allocator functions, `A` being how an address is held. 64-bit
 * parameters are bigints: a number deoptimises every call.
 */
export interface Libc<A> {
  /** The null address: what a failed allocation returns. */
  readonly none: A;
  malloc(size: bigint): A;
  calloc(count: bigint, size: bigint): A;
  realloc(p: A, size: bigint): A;
  free(p: A): void;
  memset(p: A, byte: number, size: bigint): void;
  malloc_trim(pad: bigint): number;
  malloc_usable_size(p: A): bigint;
  /** A `Uint8Array` over `size` bytes at `p` (a view object per call). */
  view(p: A, size: number): Uint8Array;
}

let pointers: Libc<Deno.PointerValue> | undefined;
let addresses: Libc<bigint> | undefined;
let mallinfo2: (() => Uint8Array) | null | undefined;

/**
 * libc with addresses as pointer objects (null for 0).
 *
 * @returns The functions.
 */
export function libc(): Libc<Deno.PointerValue> {
  return pointers ??= {
    ...Deno.dlopen("libc.so.6", symbols("pointer")).symbols,
    none: null,
    view: (p, size) =>
      new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p!, size)),
  };
}

/**
 * libc with addresses as integers, which another worker can free.
 *
 * @returns The functions.
 */
export function libcAddresses(): Libc<bigint> {
  return addresses ??= {
    ...Deno.dlopen("libc.so.6", symbols("usize")).symbols,
    none: 0n,
    view: (p, size) =>
      new Uint8Array(
        Deno.UnsafePointerView.getArrayBuffer(
          Deno.UnsafePointer.create(p)!,
          size,
        ),
      ),
  };
}

/**
 * What malloc holds from the OS: glibc's `mallinfo2()` arena (bytes its
 * arenas took with `sbrk`/`mmap`) plus hblkhd (bytes of blocks `mmap`ed one
 * by one), or null if this libc has no `mallinfo2` (glibc before 2.33, or
 * another libc). The whole process shares it: the runtime's own blocks are in
 * it too.
 *
 * @returns Bytes, or null.
 */
export function mallocHeld(): number | null {
  if (mallinfo2 === undefined) {
    try {
      const lib = Deno.dlopen("libc.so.6", MALLINFO2);
      mallinfo2 = lib.symbols.mallinfo2 as () => Uint8Array;
    } catch {
      mallinfo2 = null;
    }
  }
  if (mallinfo2 === null) return null;
  const v = new BigUint64Array(mallinfo2().buffer);
  return Number(v[0]) + Number(v[4]);
}
