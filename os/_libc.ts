// The few libc calls OsPages needs, opened once on first use.
import { FfiUnavailableError } from "./errors.ts";

const symbols = {
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  mincore: { parameters: ["pointer", "usize", "buffer"], result: "i32" },
  // glibc's; null where the libc has none.
  malloc_trim: { parameters: ["usize"], result: "i32", optional: true },
} as const;

/** The libc functions and constants of this platform. */
export interface Libc {
  mmap: (
    addr: Deno.PointerValue,
    length: bigint,
    prot: number,
    flags: number,
    fd: number,
    offset: bigint,
  ) => Deno.PointerValue;
  munmap: (addr: Deno.PointerValue, length: bigint) => number;
  madvise: (addr: Deno.PointerValue, length: bigint, advice: number) => number;
  mincore: (
    addr: Deno.PointerValue,
    length: bigint,
    vec: Uint8Array<ArrayBuffer>,
  ) => number;
  /**
   * Gives the free memory of libc's own heap back to the system (glibc), or
   * null.
   */
  malloc_trim: ((pad: bigint) => number) | null;
  /** PROT_READ | PROT_WRITE */
  readWrite: number;
  /** MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE */
  anonymous: number;
  /** MADV_DONTNEED: the pages read as zero afterwards (Linux). */
  dontNeed: number;
}

let libc: Libc | undefined;

/** Opens libc, or throws FfiUnavailableError saying what to do. */
export function openLibc(): Libc {
  if (libc) return libc;
  if (typeof Deno === "undefined" || typeof Deno.dlopen !== "function") {
    throw new FfiUnavailableError(
      "OsPages needs Deno's FFI to map native memory: run under Deno with --allow-ffi, or use BufferPages",
    );
  }
  if (Deno.build.os !== "linux") {
    throw new FfiUnavailableError(
      `OsPages supports Linux only (this is ${Deno.build.os}): use BufferPages`,
    );
  }
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", symbols);
  } catch (cause) {
    const denied = cause instanceof Deno.errors.NotCapable ||
      cause instanceof Deno.errors.PermissionDenied;
    throw new FfiUnavailableError(
      denied
        ? "OsPages needs FFI permission to call libc mmap: run deno with --allow-ffi (unscoped), or use BufferPages"
        : ffiScoped()
        // A scoped permission makes Deno look for libc.so.6 in the scope.
        ? "OsPages needs unscoped FFI permission to open libc: run deno with --allow-ffi with no path (a path-scoped --allow-ffi=DIR does not cover libc), or use BufferPages"
        : `OsPages could not open libc: ${(cause as Error).message}`,
      { cause },
    );
  }
  libc = {
    ...lib.symbols,
    readWrite: 0x1 | 0x2,
    anonymous: 0x02 | 0x20 | 0x4000,
    dontNeed: 4,
  };
  return libc;
}

/**
 * Whether Deno's FFI permission is granted only for some paths
 * (`--allow-ffi=DIR`): some path is allowed, but not all of them.
 */
export function ffiScoped(): boolean {
  try {
    const query = (path?: string) =>
      Deno.permissions.querySync({ name: "ffi", path }).state;
    // Deno cannot list the paths granted: these are where a scope for libc
    // would be (the working directory, libc's own name there, the library
    // folders).
    return query() !== "granted" && SCOPES.some((p) => query(p) === "granted");
  } catch {
    return false;
  }
}

const SCOPES = [
  ".",
  "libc.so.6",
  "/lib",
  "/usr/lib",
  "/lib64",
  "/usr/lib64",
  "/usr/local/lib",
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/usr/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/usr/lib/aarch64-linux-gnu/libc.so.6",
];
