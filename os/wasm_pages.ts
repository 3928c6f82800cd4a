/**
 * {@linkcode WasmPages}: pages in a `WebAssembly.Memory`, so that pointers are
 * the addresses a WebAssembly module uses.
 *
 * @module
 */
import { PAGE_SOURCE_OPTIONS } from "./page_source_options.ts";
import { checkOptions, checkSize } from "../internal/checks.ts";
import { OutOfMemoryError } from "./errors.ts";
import { Memory } from "./memory.ts";
import { revokeMemory } from "../internal/revoke.ts";
import {
  PAGE_SIZE,
  PageSource,
  type PageSourceOptions,
} from "./page_source.ts";

// The WasmPages made on each memory, with the [base, end) each hands out:
// a second one is refused where it would grow a non-shared memory under a
// live one (detaching its views), or hand out a live one's pages.
const livePages = new WeakMap<
  object,
  { pages: WeakRef<WasmPages>; base: number; end: number }[]
>();

// The range of a live WasmPages of `memory` that meets [base, end), or of
// any live one at all if `growing` (growing a non-shared memory detaches
// every view of it, the others' too); undefined if none.
function inTheWay(
  memory: WebAssembly.Memory,
  base: number,
  end: number,
  growing: boolean,
): { base: number; end: number } | undefined {
  for (const other of livePages.get(memory) ?? []) {
    const pages = other.pages.deref();
    // (Destroyed, or dead: its memory grown by the module under it.)
    if (
      pages === undefined || pages.destroyed || pages.memory.u8.length === 0
    ) continue;
    if (growing || (other.base < end && base < other.end)) return other;
  }
  return undefined;
}

/** The size of a WebAssembly memory page: 64 KiB. */
const WASM_PAGE = 65536;

/** The largest 32-bit WebAssembly memory: 4 GiB. */
const WASM_MAX = 2 ** 32;

/**
 * How many bytes of pages {@linkcode WasmPages} reserves above its base by
 * default: 64 MiB (engines commit WebAssembly memory as it is touched).
 *
 * @example
 * ```ts
 * import { DEFAULT_WASM_RESERVE, WasmPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new WasmPages();
 * assert.equal(pages.reservedBytes, 4096 + DEFAULT_WASM_RESERVE);
 * ```
 */
export const DEFAULT_WASM_RESERVE = 2 ** 26;

/**
 * The part of a `WebAssembly.Memory` that {@linkcode WasmPages} uses, written
 * out so that the package's types load where `WebAssembly` has no types: a
 * Node project's TypeScript with `@types/node` and `"lib": ["es2022"]` has
 * none (they are in TypeScript's DOM lib). Every `WebAssembly.Memory` has
 * this shape; see {@linkcode WasmMemory} for the type `WasmPages` takes.
 *
 * @example
 * ```ts
 * import type { WasmMemoryLike } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const memory: WasmMemoryLike = new WebAssembly.Memory({ initial: 1 });
 * assert.equal(memory.grow(2), 1); // the size before, in 64 KiB pages
 * assert.equal(memory.buffer.byteLength, 3 * 65536);
 * ```
 */
export interface WasmMemoryLike {
  /**
   * The memory's bytes. Growing a non-shared memory replaces the buffer with
   * a larger one and detaches the old one.
   */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /**
   * Grows the memory.
   *
   * @param delta How many 64 KiB pages to add.
   * @returns The size before, in 64 KiB pages.
   */
  grow(delta: number): number;
}

/**
 * The WebAssembly memory {@linkcode WasmPages} takes and hands out:
 * `WebAssembly.Memory` wherever the project's types declare it (Deno,
 * TypeScript's DOM lib for browsers and projects that list `"dom"`), else
 * {@linkcode WasmMemoryLike}. Deno and browser code gets the very
 * `WebAssembly.Memory` type (to pass to `WebAssembly.instantiate`, say), and
 * a Node project without the DOM lib still loads the package's types. At run
 * time `WasmPages` takes only a real `WebAssembly.Memory`, whatever the
 * type says.
 *
 * @example
 * ```ts
 * import { type WasmMemory, WasmPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * // (module (import "env" "memory" (memory 1))), in the binary format
 * const wasm = new Uint8Array([
 *   0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
 *   0x02, 0x0f, 0x01, // the import section: 15 bytes, one import
 *   0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, // env memory
 *   0x02, 0x00, 0x01, // a memory of at least one page
 * ]);
 * using pages = new WasmPages({ reserve: 2 ** 20 });
 * const memory: WasmMemory = pages.wasmMemory;
 * // In Deno the type is WebAssembly.Memory, which an import object takes.
 * const { instance } = await WebAssembly.instantiate(wasm, { env: { memory } });
 * assert.ok(instance instanceof WebAssembly.Instance);
 * assert.equal(memory.buffer.byteLength, 2 ** 20);
 * ```
 */
export type WasmMemory = typeof globalThis extends {
  WebAssembly: { Memory: { prototype: infer M extends WasmMemoryLike } };
} ? M
  : WasmMemoryLike;

/**
 * Options for {@linkcode WasmPages}.
 *
 * @example Pages above a module's own memory
 * ```ts
 * import { WasmPages, type WasmPagesOptions } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const memory = new WebAssembly.Memory({ initial: 2, maximum: 100 });
 * const options: WasmPagesOptions = { memory, reserve: 2 ** 20 };
 * using pages = new WasmPages(options);
 * assert.equal(pages.base, 2 * 65536); // the module keeps its two pages
 * assert.equal(pages.alloc(100), 2 * 65536);
 * assert.equal(memory.buffer.byteLength, 2 ** 20); // grown once, to the reservation
 * ```
 */
export interface WasmPagesOptions extends PageSourceOptions {
  /**
   * The memory to allocate in, shared or not; default a new non-shared one
   * just large enough. It must be a `WebAssembly.Memory` (its type is
   * {@linkcode WasmMemory}, which is that type wherever it is declared).
   */
  memory?: WasmMemory;
  /**
   * The first byte handed out, a non-zero multiple of 4096: everything below
   * belongs to the module (its data, stack and own heap). Default: the
   * memory's size when it is given (all of it is the module's), else 4096.
   * Page 0 is never handed out, as its first byte is the null pointer: base 0
   * is refused with a `RangeError`, and an empty memory given without a
   * base gets 4096.
   */
  base?: number;
  /**
   * The end of the page source's range, in bytes from address 0 like every
   * page source's reservation (so the module's memory below `base` counts);
   * the memory is grown once, when the page source is made, to hold it.
   * Default `base` + 64 MiB.
   */
  reserve?: number;
}

/**
 * A page source over a `WebAssembly.Memory`, so that a heap or arena on it
 * hands out pointers that are the very addresses a WebAssembly module
 * (compiled from C, Rust, Zig or WAT) reads and writes: JavaScript allocates a
 * module's inputs and outputs with no copy and no call into the module's own
 * `malloc`.
 *
 * ```
 *  0      base                                  reserve    memory size
 *  ├──────┼──────────────────────────────────────────┼───────────┤
 *  │module│ runs of 4 KiB pages handed out from here  │ (unused)  │
 *  └──────┴──────────────────────────────────────────┴───────────┘
 *  pointer = WebAssembly address
 * ```
 *
 * **Growth.** Growing a non-shared `WebAssembly.Memory` detaches every view of
 * its old buffer, so this source grows the memory once, when it is made, to
 * hold `reserve` bytes, and never again: its views stay valid for its
 * whole life. The module must not grow the memory afterwards (a non-shared
 * one; growing a shared memory detaches nothing and is harmless). A memory
 * whose `maximum` is too small is refused with an
 * {@linkcode OutOfMemoryError}. Even `memory.grow(0)` detaches the views of a
 * non-shared memory. For the same reason a second `WasmPages` that would
 * grow a non-shared memory whose first is live (not destroyed, its views not
 * detached) is refused with a `TypeError`; one that fits in the memory as it
 * is may share it, on a range that does not meet the first's (a range that
 * does is refused too, on any memory).
 *
 * Like {@linkcode BufferPages}, it cannot give memory back (engines do not
 * decommit WebAssembly memory): freed pages are zeroed when reused, and
 * `decayMs` defaults to `Infinity`. {@linkcode WasmPages.destroy} leaves the
 * memory to the module — it is not detached; the page source (and every
 * allocator on it) refuses calls afterwards. Pointers have no native address
 * (`memory.pointer()` throws): the module's address space is not the
 * process's.
 *
 * @example A heap in a module's memory
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { WasmPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
 * using pages = new WasmPages({ memory, reserve: 2 ** 22 });
 * using heap = new Heap({ pages });
 * const p = heap.alloc(16);
 * new DataView(memory.buffer).setFloat64(p, 2.5, true); // as the module sees it
 * assert.equal(heap.memory.f64[p / 8], 2.5);
 * ```
 */
export class WasmPages extends PageSource {
  /** Always `"wasm"`. */
  readonly kind = "wasm";
  /** The WebAssembly memory that the pages are in. */
  readonly wasmMemory: WasmMemory;
  /** The first byte handed out: the module's memory is below it. */
  readonly base: number;

  /**
   * Grows the memory (once) to hold the pages.
   *
   * @param options The memory, where the pages start, and how many.
   */
  constructor(options: WasmPagesOptions = {}) {
    checkOptions(options, "WasmPages", "{ memory }", [
      ...PAGE_SOURCE_OPTIONS,
      "memory",
      "base",
    ]);
    const given = options.memory;
    if (given !== undefined && !(given instanceof WebAssembly.Memory)) {
      throw new TypeError("Memory must be a WebAssembly.Memory");
    }
    const size = given?.buffer.byteLength ?? 0;
    const base = options.base ?? Math.max(size, PAGE_SIZE);
    checkSize(base, WASM_MAX, "Base", "the largest WebAssembly memory");
    if (base === 0) {
      throw new RangeError(
        "Base 0 would hand out the null pointer (address 0) as the first run: pass a base of 4096 or more, or none for the default",
      );
    }
    if (base % PAGE_SIZE !== 0) {
      throw new RangeError(
        `Base must be a non-zero multiple of 4096, got ${base}`,
      );
    }
    const reserve = options.reserve ?? base + DEFAULT_WASM_RESERVE;
    checkSize(
      reserve,
      WASM_MAX,
      "Reservation",
      "the largest WebAssembly memory",
    );
    const end = Math.ceil(reserve / PAGE_SIZE) * PAGE_SIZE;
    if (end <= base) {
      throw new RangeError(
        `Reservation ${reserve} must reach past the base ${base}: it counts from address 0`,
      );
    }
    const wasmPages = Math.ceil(end / WASM_PAGE);
    // Before any growth: a refused memory is left as it was.
    const buffer = given?.buffer as { resizable?: boolean; growable?: boolean };
    if (buffer?.resizable === true || buffer?.growable === true) {
      throw new TypeError(
        "This WebAssembly.Memory's buffer is resizable (toResizableBuffer() was called): WasmPages needs the fixed-length buffers memory.grow() gives, whose views it keeps; call toFixedLengthBuffer() on the memory first",
      );
    }
    const memory = given ?? new WebAssembly.Memory({
      initial: wasmPages,
      maximum: wasmPages,
    });
    const grow = wasmPages - memory.buffer.byteLength / WASM_PAGE;
    // (Growing a shared memory detaches nothing.)
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const other = inTheWay(memory, base, end, grow > 0 && !shared);
    if (other !== undefined) {
      throw new TypeError(
        other.base < end && base < other.end
          ? `This WebAssembly.Memory already has a live WasmPages on [${other.base}, ${other.end}), which [${base}, ${end}) overlaps: give the second a base past the first's reservation, or destroy() the first`
          : "This WebAssembly.Memory already has a live WasmPages: a second one would grow it, which detaches the first one's views: destroy() the first, or give the second a memory of its own (or a range the memory already has)",
      );
    }
    if (grow > 0) {
      try {
        memory.grow(grow);
      } catch (e) {
        throw new OutOfMemoryError(
          `WebAssembly memory cannot grow to ${
            wasmPages * WASM_PAGE
          } bytes for a reservation of ${reserve} (${
            (e as Error).message
          }): reserve less, or give the memory a larger maximum`,
          reserve,
        );
      }
    }
    super(
      new Memory(memory.buffer as ArrayBuffer),
      { ...options, decayMs: options.decayMs ?? Infinity },
      { first: base, end },
    );
    this.wasmMemory = memory;
    this.base = base;
    const live = livePages.get(memory) ?? [];
    livePages.set(
      memory,
      [
        ...live.filter((o) => o.pages.deref()?.destroyed === false),
        { pages: new WeakRef(this), base, end },
      ],
    );
  }

  /**
   * Leaves the memory to the module (its views stay valid) but marks the
   * page source's {@linkcode Memory} destroyed, so that nothing built on it
   * hands out or touches its pages again.
   */
  protected override detach(): void {
    revokeMemory(this.memory);
  }

  /** Nothing to unmap: the memory is the module's. */
  protected unmap(): void {}
}
