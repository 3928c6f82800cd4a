/**
 * {@linkcode OsPages}: native pages from libc `mmap`, through Deno FFI.
 *
 * @module
 */
import { PAGE_SOURCE_OPTIONS } from "./page_source_options.ts";
import { openLibc } from "./_libc.ts";
import { OutOfMemoryError } from "./errors.ts";
import { Memory } from "./memory.ts";
import {
  PAGE_SIZE,
  PageSource,
  type PageSourceOptions,
} from "./page_source.ts";
import {
  checkKeepOptions,
  readClock,
  reservePages,
} from "../internal/options.ts";
import { checkOptions } from "../internal/checks.ts";
import { markWhenMoved } from "../internal/revoke.ts";

/**
 * The default reservation of {@linkcode OsPages}: 4 GiB of address space
 * (`MAP_NORESERVE`: it costs nothing until pages are touched).
 *
 * @example
 * ```ts
 * import { DEFAULT_OS_RESERVE, OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new OsPages(); // needs --allow-ffi
 * assert.equal(pages.reservedBytes, DEFAULT_OS_RESERVE);
 * ```
 */
export const DEFAULT_OS_RESERVE = 4 * 2 ** 30;

/**
 * Options for {@linkcode OsPages}: the reservation, and how long freed pages
 * are kept (see {@linkcode PageSourceOptions}).
 *
 * @example
 * ```ts
 * import { OsPages, type OsPagesOptions } from "@sp/mem/os";
 *
 * // 256 MiB of address space; freed pages go back to the OS after 5 s idle,
 * // and never more than 64 MiB of them are kept.
 * const options: OsPagesOptions = {
 *   reserve: 2 ** 28,
 *   decayMs: 5000,
 *   retain: 2 ** 26,
 * };
 * using pages = new OsPages(options); // needs --allow-ffi
 * ```
 */
export interface OsPagesOptions extends PageSourceOptions {
  /**
   * Bytes of address space to reserve; default {@linkcode DEFAULT_OS_RESERVE}
   * (4 GiB). It is mapped `MAP_NORESERVE`, so it costs no memory until pages
   * are touched. Up to 2 GiB, every byte index stays a small integer, which
   * keeps typed-array access fastest; allocation starts at low addresses.
   */
  reserve?: number;
}

/**
 * A page source of native memory: one range reserved with libc `mmap`
 * (`MAP_NORESERVE`) when it is made, from which runs of pages are handed out
 * without a system call. Freed pages stay ready for reuse (resident: reusing
 * them costs a zeroing, not page faults) until they have been idle for
 * `decayMs` (default one second), and are then given back to the OS with
 * `madvise(MADV_DONTNEED)` — a little at a time by later calls, or by a timer
 * that does not keep the process alive; {@linkcode PageSource.purge} gives
 * them all back at once. Its memory has native pointers for FFI
 * ({@linkcode Memory.pointer}); {@linkcode OsPages.residentBytes} asks the OS
 * how much of the range is in memory.
 *
 * Needs `--allow-ffi`; without it the constructor throws an
 * {@linkcode FfiUnavailableError} (see `defaultPages()` for a fallback).
 * Call {@linkcode OsPages.destroy} (or use `using`) to unmap the range. As
 * a safety net, a range whose page source and views are all garbage has its
 * memory given back to the OS (`MADV_DONTNEED`), but its address space stays
 * reserved: a buffer moved out of the memory (by `transfer()`, a BYOB stream
 * read or a postMessage transfer) may still use it, and unmapping it would
 * crash the process (or, mapped again for another source, let the moved
 * buffer write into that one). Such a moved buffer reads as zero afterwards;
 * so it does after `destroy()`, which then keeps the range mapped too.
 * Ranges so kept are unmapped only when a new OsPages cannot map its own
 * (the address space or the kernel's mappings ran out), and never one whose
 * buffer was seen moved: never destroying is safe, and transferring the
 * buffer is, if the source is destroyed, or it or anything on its memory
 * (a heap, an arena, the memory's helpers) is called once after it.
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
  // The range, as the safety net holds it too: `moved` once a call saw the
  // buffer moved out.
  #range: Range;

  /**
   * Reserves the range.
   *
   * @param options Reservation and retention sizes.
   */
  constructor(options: OsPagesOptions = {}) {
    checkOptions(options, "OsPages", "{ reserve }", PAGE_SOURCE_OPTIONS);
    const pages = reservePages(options.reserve ?? DEFAULT_OS_RESERVE);
    checkKeepOptions(options);
    // Read before the range is mapped: a clock that throws leaks nothing.
    readClock(options.clock);
    const libc = openLibc();
    const length = BigInt(pages * PAGE_SIZE);
    const map = () =>
      libc.mmap(null, length, libc.readWrite, libc.anonymous, -1, 0n);
    let base = map();
    if (mappedAt(base) === 0n && unmapKept() > 0) base = map();
    const address = mappedAt(base);
    if (address === 0n) {
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
    super(new Memory(buffer, { address }), options);
    this.#range = { base, length, moved: false };
    unmapWhenCollected.register(buffer, this.#range, this);
    // Whatever refuses a call for the moved buffer (this source, a heap or
    // arena on it, the memory's helpers) marks the range.
    markWhenMoved(this.memory, this.#range);
  }

  /**
   * Gives pages back to the OS (`madvise(MADV_DONTNEED)`); they read as zero.
   *
   * @param ptr The first page.
   * @param length Whole pages, in bytes.
   */
  protected override release(ptr: number, length: number): void {
    const libc = openLibc();
    libc.madvise(this.memory.pointer(ptr), BigInt(length), libc.dontNeed);
  }

  /**
   * After a purge, asks libc to give back the free memory of its own heap
   * (`malloc_trim(0)`, glibc): the old copies of this page source's and its
   * heap's tables were allocated there, and glibc kept them (after a 256 MiB
   * peak freed, trimmed and purged, the process stayed 14-15 MiB over its
   * start without this and 6-10 MiB with it, bench/peak_release.ts).
   */
  protected override afterPurge(): void {
    openLibc().malloc_trim?.(0n);
  }

  /**
   * Bytes of the range that are in physical memory now, as the OS reports
   * them (`mincore`): live runs that have been touched, and retained pages.
   *
   * @example
   * ```ts ignore
   * import { OsPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * using pages = new OsPages({ reserve: 2 ** 24 });
   * const p = pages.alloc(8 * 4096);
   * pages.memory.fill(p, 8 * 4096, 1); // touched: now resident
   * assert.equal(pages.residentBytes(), 8 * 4096);
   * pages.free(p, 8 * 4096);
   * pages.purge();
   * assert.equal(pages.residentBytes(), 0);
   * ```
   *
   * @returns The resident bytes.
   */
  residentBytes(): number {
    if (this.destroyed) return 0;
    const pages = this.touchedBytes / PAGE_SIZE;
    const vec = new Uint8Array(pages);
    const libc = openLibc();
    libc.mincore(this.#range.base, BigInt(pages * PAGE_SIZE), vec);
    let resident = 0;
    for (let i = 0; i < pages; i++) resident += vec[i] & 1;
    return resident * PAGE_SIZE;
  }

  /**
   * Unmaps the range (`munmap`), or, when its buffer was moved out, only
   * gives its memory back and keeps it mapped (see {@linkcode OsPages}).
   *
   * @param moved Whether the buffer was detached by someone else.
   */
  protected unmap(moved: boolean): void {
    unmapWhenCollected.unregister(this);
    const libc = openLibc();
    const { base, length } = this.#range;
    if (moved) libc.madvise(base, length, libc.dontNeed);
    else libc.munmap(base, length);
  }
}

// A mapped range, and whether its buffer was seen moved out.
interface Range {
  base: Deno.PointerValue;
  length: bigint;
  moved: boolean;
}

// The address of the range mmap gave, or 0 if it gave none (MAP_FAILED,
// -1, when it cannot).
function mappedAt(base: Deno.PointerValue): bigint {
  const address = base === null ? 0n : Deno.UnsafePointer.value(base);
  return address === 2n ** 64n - 1n ? 0n : address;
}

// Ranges of sources collected without destroy(), still mapped.
const kept: Range[] = [];

// Safety net for a source never destroyed: its buffer is garbage, but a
// buffer moved out of it (transfer(), a BYOB read, postMessage) shares the
// mapping, and nothing in JavaScript can tell whether one exists. So the
// memory goes back to the OS and the address range stays mapped (a moved
// buffer reads zeros rather than fault), until mapping a new range fails.
const unmapWhenCollected = new FinalizationRegistry<Range>((range) => {
  const libc = openLibc();
  libc.madvise(range.base, range.length, libc.dontNeed);
  kept.push(range);
});

// Unmaps the kept ranges whose buffer no call saw moved out, for a new
// range that did not fit (in a process that never destroys its sources,
// each held its reservation: ~32,000 default ones filled the address
// space); returns how many. One whose buffer was seen moved stays mapped.
function unmapKept(): number {
  const libc = openLibc();
  let unmapped = 0;
  for (let i = kept.length - 1; i >= 0; i--) {
    const range = kept[i];
    if (range.moved) continue;
    libc.munmap(range.base, range.length);
    kept.splice(i, 1);
    unmapped++;
  }
  return unmapped;
}
