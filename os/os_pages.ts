/**
 * {@linkcode OsPages}: native pages from libc `mmap`, through Deno FFI.
 *
 * @module
 */
import { openLibc } from "./_libc.ts";
import { OutOfMemoryError } from "./errors.ts";
import { Memory } from "./memory.ts";
import {
  PAGE_SIZE,
  PageSource,
  type PageSourceOptions,
} from "./page_source.ts";
import { reservePages } from "./_reserve.ts";
import { checkSize } from "./_checks.ts";

/** The default reservation of {@linkcode OsPages}: 4 GiB of address space. */
export const DEFAULT_OS_RESERVE = 4 * 2 ** 30;

/** The default retention of {@linkcode OsPages}: 64 MiB of freed pages. */
export const DEFAULT_RETAIN = 64 * 2 ** 20;

/** Options for {@linkcode OsPages}. */
export interface OsPagesOptions extends PageSourceOptions {
  /**
   * Bytes of address space to reserve; default {@linkcode DEFAULT_OS_RESERVE}
   * (4 GiB). It is mapped `MAP_NORESERVE`, so it costs no memory until pages
   * are touched. Up to 2 GiB, every byte index stays a small integer, which
   * keeps typed-array access fastest; allocation starts at low addresses.
   */
  reserve?: number;
  /**
   * Bytes of freed pages to keep for reuse instead of giving them back to the
   * OS at once; default {@linkcode DEFAULT_RETAIN} (64 MiB). Kept pages are
   * zeroed when handed out again, which is cheaper than the page faults of
   * fresh pages. 0 gives every freed page back at once (`madvise`).
   */
  retain?: number;
}

/**
 * A page source of native memory: one range reserved with libc `mmap`
 * (`MAP_NORESERVE`) when it is made, from which runs of pages are handed out
 * without a system call. Freed pages are kept for reuse up to `retain` bytes
 * and otherwise given back to the OS with `madvise(MADV_DONTNEED)`;
 * {@linkcode OsPages.trim} gives back the rest. Its memory has native
 * pointers for FFI ({@linkcode Memory.pointer}).
 *
 * Needs `--allow-ffi`; without it the constructor throws an
 * {@linkcode FfiUnavailableError} (see `defaultPages()` for a fallback).
 * Call {@linkcode OsPages.destroy} (or use `using`) to unmap the range; a
 * range whose page source and views are all garbage is unmapped as a safety
 * net.
 *
 * @example Native memory for a C function
 * ```ts ignore
 * import { OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new OsPages({ reserve: 2 ** 20 });
 * const libc = Deno.dlopen("libc.so.6", {
 *   strlen: { parameters: ["pointer"], result: "usize" },
 * });
 * const p = pages.alloc(16);
 * pages.memory.bytes(p, 5).set(new TextEncoder().encode("hello"));
 * assert.equal(libc.symbols.strlen(pages.memory.pointer(p)), 5n);
 * libc.close();
 * ```
 */
export class OsPages extends PageSource {
  /** Always `"os"`. */
  readonly kind = "os";
  #base: Deno.PointerValue;
  #length: bigint;

  /**
   * Reserves the range.
   *
   * @param options Reservation and retention sizes.
   */
  constructor(options: OsPagesOptions = {}) {
    const pages = reservePages(options.reserve ?? DEFAULT_OS_RESERVE);
    const retain = options.retain ?? DEFAULT_RETAIN;
    checkSize(retain, Number.MAX_SAFE_INTEGER, "Retention", "the limit");
    const libc = openLibc();
    const length = BigInt(pages * PAGE_SIZE);
    const base = libc.mmap(
      null,
      length,
      libc.readWrite,
      libc.anonymous,
      -1,
      0n,
    );
    const address = base === null ? 0n : Deno.UnsafePointer.value(base);
    if (address === 0n || address === 2n ** 64n - 1n) {
      throw new OutOfMemoryError(
        `mmap could not reserve ${
          pages * PAGE_SIZE
        } bytes of address space: reserve less`,
        pages * PAGE_SIZE,
      );
    }
    const buffer = Deno.UnsafePointerView.getArrayBuffer(
      base!,
      pages * PAGE_SIZE,
    );
    super(new Memory(buffer, { address }), retain);
    this.#base = base;
    this.#length = length;
    unmapWhenCollected.register(buffer, { base, length }, this);
  }

  /**
   * Gives pages back to the OS (`madvise(MADV_DONTNEED)`); they read as zero.
   *
   * @param ptr The first page.
   * @param length Whole pages, in bytes.
   */
  protected release(ptr: number, length: number): void {
    const libc = openLibc();
    libc.madvise(this.memory.pointer(ptr), BigInt(length), libc.dontNeed);
  }

  /** Unmaps the range (`munmap`). */
  protected unmap(): void {
    unmapWhenCollected.unregister(this);
    openLibc().munmap(this.#base, this.#length);
  }
}

// Safety net: a range whose buffer (and so every view of it) is garbage can
// be unmapped without anything left to touch it.
const unmapWhenCollected = new FinalizationRegistry<
  { base: Deno.PointerValue; length: bigint }
>(({ base, length }) => openLibc().munmap(base, length));
