/**
 * {@linkcode CAllocator}: any allocator on native memory, as the allocation
 * functions a C library takes — malloc and friends, zlib's `zalloc`/`zfree`,
 * Lua's `lua_Alloc`, sqlite's `sqlite3_mem_methods`.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";
import {
  DestroyedError,
  FfiUnavailableError,
  OutOfMemoryError,
  PointerError,
} from "../os/errors.ts";
import { checkOptions, checkSize } from "../internal/checks.ts";
import { KEPT_ERRORS } from "../internal/kept_errors.ts";
import {
  HOOK_DEFINITIONS,
  type HookName,
  sizeFromC,
  toNumber,
} from "./_hooks.ts";
import { SizeTable } from "./_size_table.ts";
import { MemoryCorruptionError } from "../debug/errors.ts";

// Whether an allocator's free that threw `e` freed the block all the same:
// a DebugAllocator frees, then reports a write past the block or after a
// free as a MemoryCorruptionError. Any other throw refused the free (the
// Allocator contract: nothing changed), and C's block stays C's.
function freedAnyway(e: unknown): boolean {
  return e instanceof MemoryCorruptionError;
}

export { HOOK_DEFINITIONS, type HookName } from "./_hooks.ts";

/**
 * A call from C that the bridge refused: the hook, and the error that says
 * why (an `OutOfMemoryError` for the byte cap, a full allocator or a
 * `calloc` product too large, a `RangeError` for a size larger than the
 * allocator can ever hold, a `PointerError` for a pointer it never handed
 * out or a wrong old size from Lua, a `TypeError` or `RangeError` for a
 * pointer the allocator returned that is no block of its memory, …).
 *
 * @example
 * ```ts
 * import type { RefusedCall } from "@sp/mem/ffi";
 *
 * const log = (call: RefusedCall) =>
 *   console.error(`${call.hook}: ${call.error.message}`);
 * ```
 */
export interface RefusedCall {
  /** The hook C called. */
  readonly hook: HookName;
  /** Why the call was refused. */
  readonly error: Error;
}

/**
 * Options of {@linkcode CAllocator}.
 *
 * @example A 16 MiB cap, refusals logged
 * ```ts
 * import type { CAllocatorOptions } from "@sp/mem/ffi";
 *
 * const options: CAllocatorOptions = {
 *   maxBytes: 2 ** 24,
 *   onError: (call) => console.warn(call.hook, call.error.message),
 * };
 * ```
 */
export interface CAllocatorOptions {
  /**
   * The most bytes C may hold at once through this bridge; past it, C sees
   * an out-of-memory (NULL). Default: no cap but the allocator's own.
   */
  maxBytes?: number;
  /**
   * Called with every refused call, after it is recorded in
   * {@linkcode CAllocator.errors}; an exception it throws is ignored.
   */
  onError?: (call: RefusedCall) => void;
}

/**
 * The function pointer of one hook, typed with its C signature, so that
 * `new Deno.UnsafeFnPointer(pointer, definition)` checks the definition.
 *
 * @example
 * ```ts ignore
 * import type { HookPointer } from "@sp/mem/ffi";
 *
 * declare const free: HookPointer<"free">; // void free(void *): ["usize"] → "void"
 * ```
 */
export type HookPointer<N extends HookName> = Deno.PointerObject<
  (typeof HOOK_DEFINITIONS)[N]
>;

function ffiPermitted(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

// The usable size of a block, where the allocator reports one (Heap and
// WorkerHeap do): the room the block really has.
type UsableSize = (ptr: number) => number;

function usableSizeOf(allocator: Allocator): UsableSize | null {
  const a = allocator as { usableSize?: UsableSize };
  return typeof a.usableSize === "function"
    ? a.usableSize.bind(allocator)
    : null;
}

// The message of a refusal whose thrown value cannot be made a string.
const UNPRINTABLE_THROW =
  "The allocator threw a value that is not an Error and cannot be made a string";

// What was thrown, as an Error, without letting anything escape: a value
// String() cannot convert (no toString, a throwing one) or a Proxy whose
// traps throw (under instanceof) gets a fixed message.
function asError(thrown: unknown): Error {
  try {
    return thrown instanceof Error ? thrown : new Error(String(thrown));
  } catch {
    return new Error(UNPRINTABLE_THROW);
  }
}

// What a pointer the allocator returned that is no block of its memory
// was, for the refusal's message: a TypeError for a value that is no
// number, a RangeError for a number that is no block's offset.
function notABlock(
  value: unknown,
  held: number,
  method: "alloc" | "resize",
  length: number,
): Error {
  let shown: string, why: string;
  if (typeof value === "number") {
    // (An integer past 2^53 exactly: String rounds it.)
    shown = Number.isSafeInteger(value) && value >= 0
      ? `0x${value.toString(16)}`
      : Number.isInteger(value)
      ? BigInt(value).toString()
      : String(value);
    why = !Number.isSafeInteger(value)
      ? "not a safe integer"
      : value <= 0 || value >= length
      ? `outside its ${length} bytes`
      : value + held > length
      ? `its ${held} bytes run past the memory's end`
      : `not aligned to ${C_ALIGNMENT} bytes, as C's malloc is`;
  } else {
    const type = value === null ? "null" : typeof value;
    shown = type === "string"
      ? JSON.stringify((value as string).slice(0, 40))
      : type === "bigint"
      ? `${value}n`
      : type === "undefined" || type === "null" || type === "boolean"
      ? String(value)
      : `${type === "object" ? "an" : "a"} ${type}`;
    why = type === "string" || type === "bigint" || type === "boolean"
      ? `a ${type}, not a number`
      : "not a number";
  }
  const message =
    `The allocator's ${method} returned ${shown} (${why}), which is no block of its memory: C gets NULL; the allocator is broken`;
  return typeof value === "number"
    ? new RangeError(message)
    : new TypeError(message);
}

// xSize answers in a C int.
const INT_MAX = 0x7fffffff;

// The alignment of every block C gets: malloc's, `alignof(max_align_t)` on
// x86-64 and AArch64 (a long double, SSE stores of a struct copy).
const C_ALIGNMENT = 16;

// The alignment to ask the allocator for on each call: none where its
// `alignment` (an arena's, a pool's) is 16 or more already, which every
// block has, so its fast path stays; 16 where it tells none (a heap, a
// page source, a DebugAllocator, a wrapper: a DebugAllocator over an
// 8-aligned pool gives 8-aligned blocks, so asked for 16 it refuses).
// Throws for an `alignment` below 16, once, where a pool asked for 16 would
// refuse every call (and an arena's own blocks are not malloc's).
function alignmentToAsk(allocator: Allocator): number | undefined {
  const natural = (allocator as { alignment?: unknown }).alignment;
  if (typeof natural !== "number") return C_ALIGNMENT;
  if (natural >= C_ALIGNMENT) return undefined;
  throw new RangeError(
    `CAllocator needs an allocator whose blocks are aligned to ${C_ALIGNMENT} bytes, as C's malloc gives (alignof(max_align_t)); this one's alignment is ${natural}: make it with alignment: ${C_ALIGNMENT}`,
  );
}

/**
 * Exposes an {@linkcode Allocator} on native memory (an `OsPages`, a `Heap`
 * on one, a `DebugAllocator` over that, …) to C, as function pointers to
 * hand to a C library: so that a library's memory is counted, capped,
 * checked for leaks and given back on decay like any other allocation.
 *
 * | hook | C signature | on refusal |
 * |---|---|---|
 * | `malloc`, `calloc`, `realloc`, `free`, `usableSize` | as in libc (`malloc(0)` gets a 1-byte block, a pointer of its own; `calloc` checks `n * size` for overflow; `realloc(p, 0)` frees) | NULL (0) |
 * | `zalloc`, `zfree` | zlib's `alloc_func`, `free_func` | `Z_NULL`: zlib says `Z_MEM_ERROR` |
 * | `luaAlloc` | Lua's `lua_Alloc(ud, ptr, osize, nsize)` | NULL: Lua raises a memory error |
 * | `sqliteMemMethods` | a `sqlite3_mem_methods` struct, for `SQLITE_CONFIG_MALLOC` | NULL: `SQLITE_NOMEM` |
 *
 * ```
 *  sqliteMemMethods: 64 bytes, native (pass as a "buffer" argument)
 *  ┌─────────┬───────┬──────────┬───────┬──────────┬───────┬───────────┬──────────┐
 *  │ xMalloc │ xFree │ xRealloc │ xSize │ xRoundup │ xInit │ xShutdown │ pAppData │
 *  └─────────┴───────┴──────────┴───────┴──────────┴───────┴───────────┴──────────┘
 *   0         8       16         24      32         40      48          56 (NULL)
 * ```
 *
 * Every block C gets is aligned to 16 bytes, as malloc's are (for
 * `max_align_t`): an allocator whose `alignment` is less (a `Pool` or an
 * arena made with `alignment: 8`) is refused with a `RangeError`, and one
 * that has no `alignment` property (a heap, a page source, a
 * `DebugAllocator`) is asked for 16 on each call.
 *
 * No exception ever reaches C (a JavaScript exception in an FFI callback
 * aborts the process): a call that cannot be served — a full allocator, the
 * `maxBytes` cap, a pointer the bridge never handed out, a double free — is
 * answered as the C contract says (NULL, or nothing for a free), and
 * recorded in {@linkcode CAllocator.errors} and passed to `onError`. Every
 * pointer the allocator returns is checked before C sees it — a safe
 * integer past 0, 16-aligned, its bytes inside the memory — and a call
 * whose allocator returned anything else (a wrapper that forgot `return`,
 * a string) is refused the same way, the bridge's counters unchanged
 * (`realloc`'s old block stays C's, as a NULL from `realloc` says).
 *
 * `free` and `realloc` get no size from C, so the bridge keeps the size of
 * every block it handed out in a side table (an open-addressing hash table
 * in typed arrays): a pointer it never handed out — a JavaScript caller's
 * block, one already freed — is refused, never freed. Where the allocator
 * reports `usableSize(ptr)` (as `Heap` does), a block is grown in place to
 * its usable size when it is made: that is the size `usableSize` and
 * sqlite's `xSize` tell C, C may fill all of it, and `realloc` keeps all of
 * it. Lua passes the old size itself; its blocks are in the table too, so
 * that a pointer `luaAlloc` did not hand out is refused, and the old size
 * must be the one held.
 *
 * C must call the hooks on the JavaScript thread, from inside an FFI call
 * (as zlib, Lua and sqlite do when used from one thread). Call
 * {@linkcode CAllocator.close} (or `using`) only once C will not call any
 * more: it frees the function pointers, and a call through one afterwards
 * crashes the process.
 *
 * Deno only, with `--allow-ffi`; elsewhere the constructor throws an
 * {@linkcode FfiUnavailableError}.
 *
 * @example zlib on a heap
 * ```ts ignore
 * import { CAllocator } from "@sp/mem/ffi";
 * import { Heap } from "@sp/mem/heap";
 *
 * using heap = new Heap(); // native memory with --allow-ffi
 * using bridge = new CAllocator(heap, { maxBytes: 2 ** 24 });
 * const stream = new Uint8Array(112); // z_stream
 * const view = new DataView(stream.buffer);
 * view.setBigUint64(64, Deno.UnsafePointer.value(bridge.zalloc), true);
 * view.setBigUint64(72, Deno.UnsafePointer.value(bridge.zfree), true);
 * // … deflateInit_(stream, level, "1.2.13", 112), deflate, deflateEnd:
 * // zlib's state lives on the heap, and heap.bytesUsed is 0 after deflateEnd.
 * ```
 *
 * @example The malloc family, called like C would
 * ```ts
 * import { CAllocator } from "@sp/mem/ffi";
 * import { Heap } from "@sp/mem/heap";
 * import { OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new OsPages({ reserve: 2 ** 24 });
 * using heap = new Heap({ pages });
 * using bridge = new CAllocator(heap, { maxBytes: 4096 });
 * const malloc = new Deno.UnsafeFnPointer(bridge.malloc, {
 *   parameters: ["usize"],
 *   result: "usize",
 * });
 * const address = malloc.call(100n);
 * assert.equal(heap.bytesUsed, 128); // 100 bytes: the heap's 128-byte class
 * assert.equal(heap.memory.offsetOf(Deno.UnsafePointer.create(address)) > 0, true);
 * assert.equal(malloc.call(5000n), 0n); // over the cap: C sees NULL
 * assert.equal(bridge.errors[0].error.name, "OutOfMemoryError");
 * ```
 */
export class CAllocator implements Disposable {
  /** The allocator that C's memory comes from. */
  readonly allocator: Allocator;
  /** The byte cap (`Infinity` without one). */
  readonly maxBytes: number;
  #usableSize: UsableSize | null;
  // The alignment each alloc and resize asks for (undefined: the natural).
  #alignment: number | undefined;
  #sizes = new SizeTable();
  #address: number;
  #length: number;
  #bytes = 0;
  #refused = 0;
  #errors: RefusedCall[] = [];
  // A frozen copy of #errors for the getter, made again after a refusal.
  #errorsView: readonly RefusedCall[] | null = null;
  #onError: ((call: RefusedCall) => void) | undefined;
  #callbacks = new Map<
    HookName,
    Deno.UnsafeCallback<Deno.UnsafeCallbackDefinition>
  >();
  #sqlite: Uint8Array<ArrayBuffer> | undefined;
  #closed = false;
  // How many onError calls are running (one can call into C, which calls a
  // hook that is refused in turn: the inner one's end is not the outer's).
  #inOnError = 0;

  /**
   * Wraps `allocator`; the function pointers are made on first use.
   *
   * @param allocator An allocator on native memory (`memory.native`),
   *   whose blocks can be 16-aligned (its `alignment`, if it has one, 16 or
   *   more: a `RangeError` otherwise).
   * @param options The byte cap, and a callback for refused calls.
   */
  constructor(allocator: Allocator, options: CAllocatorOptions = {}) {
    if (
      typeof Deno === "undefined" || typeof Deno.UnsafeCallback !== "function"
    ) {
      throw new FfiUnavailableError(
        "CAllocator needs Deno's FFI to give C function pointers: run under Deno with --allow-ffi",
      );
    }
    if (!ffiPermitted()) {
      throw new FfiUnavailableError(
        "CAllocator needs FFI permission to give C function pointers: run deno with --allow-ffi (unscoped)",
      );
    }
    if (
      typeof allocator?.alloc !== "function" || !allocator.memory ||
      typeof allocator.resize !== "function" ||
      typeof allocator.free !== "function"
    ) {
      throw new TypeError(
        "Allocator must be an Allocator (with memory, alloc, resize and free)",
      );
    }
    if (allocator.destroyed === true || allocator.memory.destroyed === true) {
      throw new DestroyedError(
        "CAllocator was given a destroyed allocator: make the bridge on a live one",
      );
    }
    if (!allocator.memory.native) {
      throw new TypeError(
        "The allocator's memory is not native (a plain ArrayBuffer), so C cannot use it: build it on OsPages (run deno with --allow-ffi)",
      );
    }
    const alignment = alignmentToAsk(allocator);
    checkOptions(options, "CAllocator", "{ maxBytes, onError }", [
      "maxBytes",
      "onError",
    ]);
    const { maxBytes = Infinity, onError } = options;
    if (maxBytes !== Infinity) {
      checkSize(maxBytes, Number.MAX_SAFE_INTEGER, "Byte cap", "the limit");
    }
    if (onError !== undefined && typeof onError !== "function") {
      throw new TypeError(`onError must be a function, got ${typeof onError}`);
    }
    this.allocator = allocator;
    this.maxBytes = maxBytes;
    this.#onError = onError;
    this.#usableSize = usableSizeOf(allocator);
    this.#alignment = alignment;
    this.#address = Number(allocator.memory.address);
    this.#length = allocator.memory.byteLength;
  }

  /**
   * Bytes C holds through this bridge now: the sizes asked for, or the
   * allocator's usable sizes where it reports them (what C is told it may
   * use). `maxBytes` caps this figure.
   */
  get bytesUsed(): number {
    return this.#bytes;
  }

  /** How many calls were refused in all (the first 100 are in `errors`). */
  get refusedCalls(): number {
    return this.#refused;
  }

  /**
   * The first 100 refused calls, oldest first: a frozen copy (the same one
   * until the next refusal), so a caller cannot change the record.
   */
  get errors(): readonly RefusedCall[] {
    return this.#errorsView ??= Object.freeze(this.#errors.slice());
  }

  /** Whether {@linkcode CAllocator.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** `void *malloc(size_t size)`. */
  get malloc(): HookPointer<"malloc"> {
    return this.#hook("malloc", (size: bigint) => this.#malloc(size, "malloc"));
  }

  /** `void *calloc(size_t count, size_t size)`: NULL if the product overflows. */
  get calloc(): HookPointer<"calloc"> {
    return this.#hook(
      "calloc",
      (count: bigint, size: bigint) => this.#allocArray(count, size, "calloc"),
    );
  }

  /** `void *realloc(void *ptr, size_t size)`: `size` 0 frees (and gives NULL). */
  get realloc(): HookPointer<"realloc"> {
    return this.#hook(
      "realloc",
      (address: bigint, size: bigint) =>
        this.#realloc(address, size, "realloc"),
    );
  }

  /** `void free(void *ptr)`. */
  get free(): HookPointer<"free"> {
    return this.#hook("free", (address: bigint) => this.#free(address, "free"));
  }

  /** `size_t malloc_usable_size(void *ptr)`: 0 for NULL or a refused pointer. */
  get usableSize(): HookPointer<"usableSize"> {
    return this.#hook("usableSize", (address: bigint) => {
      try {
        return address === 0n ? 0 : this.#sizeOf(this.#offset(address));
      } catch (e) {
        return this.#refuse("usableSize", e);
      }
    });
  }

  /** zlib's `voidpf zalloc(voidpf opaque, uInt items, uInt size)`. */
  get zalloc(): HookPointer<"zalloc"> {
    return this.#hook(
      "zalloc",
      (_opaque: number, items: number, size: number) =>
        this.#allocArray(items, size, "zalloc"),
    );
  }

  /** zlib's `void zfree(voidpf opaque, voidpf address)`. */
  get zfree(): HookPointer<"zfree"> {
    return this.#hook(
      "zfree",
      (_opaque: number, address: bigint) => this.#free(address, "zfree"),
    );
  }

  /**
   * Lua's `void *lua_Alloc(void *ud, void *ptr, size_t osize, size_t nsize)`,
   * for `lua_newstate(bridge.luaAlloc, NULL)`: Lua passes the old size,
   * checked against the size the bridge holds for the block (a wrong one, or
   * a pointer the bridge did not hand out, is refused and changes nothing),
   * then passed to the allocator's sized `resize` and `free`.
   */
  get luaAlloc(): HookPointer<"luaAlloc"> {
    return this.#hook(
      "luaAlloc",
      (_ud: number, address: bigint, osize: bigint, nsize: bigint) =>
        this.#luaAlloc(address, osize, nsize),
    );
  }

  /**
   * A native `sqlite3_mem_methods` struct (64 bytes; layout above) whose
   * methods allocate through this bridge, for
   * `sqlite3_config(SQLITE_CONFIG_MALLOC, bridge.sqliteMemMethods)` before
   * `sqlite3_initialize()` (sqlite copies it). Pass it as a `"buffer"`
   * argument.
   */
  get sqliteMemMethods(): Uint8Array<ArrayBuffer> {
    this.#checkOpen();
    if (this.#sqlite) return this.#sqlite;
    const methods = [
      this.#hook("xMalloc", (size: number) => this.#malloc(size, "xMalloc")),
      this.#hook("xFree", (address: bigint) => this.#free(address, "xFree")),
      this.#hook(
        "xRealloc",
        (address: bigint, size: number) =>
          this.#realloc(address, size, "xRealloc"),
      ),
      this.#hook("xSize", (address: bigint) => {
        try {
          return address === 0n
            ? 0
            : Math.min(this.#sizeOf(this.#offset(address)), INT_MAX);
        } catch (e) {
          return this.#refuse("xSize", e);
        }
      }),
      // Sizes are rounded to the heap's 16-byte granule.
      this.#hook(
        "xRoundup",
        (size: number) => size > 0x7ffffff0 ? size : (size + 15) & ~15,
      ),
      this.#hook("xInit", () => 0), // SQLITE_OK
      this.#hook("xShutdown", () => {}),
    ];
    // An ArrayBuffer of its own: its bytes are off the JS heap and never move.
    const struct = new Uint8Array(new ArrayBuffer(64));
    const words = new BigUint64Array(struct.buffer);
    methods.forEach((fn, i) => words[i] = Deno.UnsafePointer.value(fn));
    return this.#sqlite = struct;
  }

  /**
   * Closes every function pointer made and refuses later use of the
   * bridge. Only call it once C will not call the hooks again (from
   * `onError` too: the pointers are then freed once the FFI call that is
   * running has returned, and until then C's allocations are refused and
   * its frees still taken).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const callbacks = [...this.#callbacks.values()];
    this.#callbacks.clear();
    this.#sqlite?.fill(0);
    const closeAll = () => callbacks.forEach((callback) => callback.close());
    // Called from onError, inside a hook that C is still running: freeing
    // that callback now would crash the process when it returns to C, so
    // they are freed once the FFI call that C made has returned.
    if (this.#inOnError > 0) queueMicrotask(closeAll);
    else closeAll();
  }

  /** Closes the bridge, as {@linkcode CAllocator.close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ── the hooks' work; every path returns, none throws ──────────────────

  #malloc(size: bigint | number, hook: HookName): number {
    try {
      return this.#alloc(sizeFromC(size));
    } catch (e) {
      return this.#refuse(hook, e);
    }
  }

  #allocArray(
    count: bigint | number,
    size: bigint | number,
    hook: HookName,
  ): number {
    try {
      // Exact: a product of doubles rounds, and C's operands are 64-bit.
      const bytes = BigInt(count) * BigInt(size);
      if (bytes > Number.MAX_SAFE_INTEGER) {
        throw new OutOfMemoryError(
          `${count} × ${size} bytes ${
            bytes >= 2n ** 64n ? "overflows" : "is too large"
          }: no block is that large`,
          Number(bytes),
        );
      }
      return this.#alloc(Number(bytes));
    } catch (e) {
      return this.#refuse(hook, e);
    }
  }

  #realloc(address: bigint, asked: bigint | number, hook: HookName): number {
    try {
      const size = sizeFromC(asked);
      if (address === 0n) return this.#alloc(size);
      const ptr = this.#offset(address);
      if (size === 0) {
        this.#release(ptr);
        return 0;
      }
      this.#checkOpen();
      const old = this.#sizeOf(ptr);
      this.#reserve(size - old);
      const moved = this.#checked(
        this.allocator.resize(ptr, old, size, this.#alignment),
        size,
        "resize",
      );
      // The old block is gone now, so the cap cannot refuse the call: where
      // its room would pass the cap, C holds (and is told of) the size it
      // asked. (A pointer that is no block is refused: C keeps its own.)
      const room = this.#room(moved, size);
      const held = this.#bytes - old + room <= this.maxBytes ? room : size;
      const grown = this.#grown(moved, size, held);
      this.#forget(ptr, old);
      return this.#hold(grown, held);
    } catch (e) {
      return this.#refuse(hook, e);
    }
  }

  #free(address: bigint, hook: HookName): void {
    try {
      if (address !== 0n) this.#release(this.#offset(address));
    } catch (e) {
      this.#refuse(hook, e);
    }
  }

  // Lua's blocks are held at their size (Lua passes it back as `osize`, and
  // never asks for the room), in the one table: a pointer the bridge did
  // not hand out, a block JavaScript holds among them, is refused.
  #luaAlloc(address: bigint, osize: bigint, nsize: bigint): number {
    try {
      const size = sizeFromC(nsize);
      if (size !== 0) this.#checkOpen(); // (frees are still taken)
      if (address === 0n) {
        // `osize` is the kind of object Lua makes, not a size.
        if (size === 0) return 0;
        this.#reserve(size);
        return this.#hold(
          this.#checked(
            this.allocator.alloc(size, this.#alignment),
            size,
            "alloc",
          ),
          size,
        );
      }
      const ptr = this.#offset(address), old = this.#sizeOf(ptr);
      if (toNumber(osize) !== old) throw this.#wrongOldSize(ptr, osize, old);
      if (size === 0) {
        this.#release(ptr);
        return 0;
      }
      this.#reserve(size - old);
      const moved = this.#checked(
        this.allocator.resize(ptr, old, size, this.#alignment),
        size,
        "resize",
      );
      this.#forget(ptr, old);
      return this.#hold(moved, size);
    } catch (e) {
      return this.#refuse("luaAlloc", e);
    }
  }

  // Allocates `size` bytes for C; returns the native address. A 0-byte
  // request gets 1 byte: C expects a pointer no other block has, where a
  // bump allocator (an arena) gives its next block the same address.
  #alloc(size: number): number {
    this.#checkOpen(); // (C called after close(), in the turn it ran in)
    if (size === 0) size = 1;
    this.#reserve(size);
    const ptr = this.#checked(
      this.allocator.alloc(size, this.#alignment),
      size,
      "alloc",
    );
    const room = this.#room(ptr, size);
    if (room > size) {
      try {
        this.#reserve(room, size);
      } catch (e) {
        this.allocator.free(ptr, size); // nothing of C's is lost
        throw e;
      }
    }
    return this.#hold(this.#grown(ptr, size, room), room);
  }

  // The usable size of a block of `size` bytes, where the allocator reports
  // one: the room that usableSize and xSize tell C of, which C may fill, so
  // that realloc and free must keep it all. An answer that is no size the
  // block can hold (not an integer, less than `size`, past the memory) is
  // not believed: the block holds `size` then.
  #room(ptr: number, size: number): number {
    if (this.#usableSize === null) return size;
    const room = this.#usableSize(ptr);
    return Number.isSafeInteger(room) && room >= size &&
        ptr + room <= this.#length
      ? room
      : size;
  }

  // `ptr` if the allocator's `method` returned a block of `held` bytes of
  // its memory, as C may be given: a safe integer past 0, its bytes inside
  // the memory, 16-aligned; throws (the call is refused) otherwise, before
  // C or the bridge's counters see it.
  #checked(ptr: unknown, held: number, method: "alloc" | "resize"): number {
    if (
      typeof ptr === "number" && Number.isSafeInteger(ptr) && ptr > 0 &&
      ptr + held <= this.#length && (this.#address + ptr) % C_ALIGNMENT === 0
    ) return ptr;
    throw notABlock(ptr, held, method, this.#length);
  }

  // The block of `size` bytes at `ptr` grown in place to `held` bytes (its
  // room) where that is more: the pointer to hold.
  #grown(ptr: number, size: number, held: number): number {
    if (held <= size) return ptr;
    return this.#checked(
      this.allocator.resize(ptr, size, held, this.#alignment),
      held,
      "resize",
    );
  }

  // Records a block that C now holds as `held` bytes (its size, or its
  // room). Returns the native address.
  #hold(ptr: number, held: number): number {
    try {
      this.#sizes.set(ptr, held);
    } catch {
      // The block is left to the allocator: freeing it would free C's.
      throw new RangeError(
        `The allocator handed out pointer 0x${ptr.toString(16)} (native 0x${
          (this.#address + ptr).toString(16)
        }) while C still holds a block there: the allocator is broken`,
      );
    }
    this.#bytes += held;
    return this.#address + ptr;
  }

  // Frees a block C holds, and forgets it.
  #release(ptr: number): void {
    const size = this.#sizeOf(ptr);
    try {
      this.allocator.free(ptr, size);
    } catch (e) {
      if (freedAnyway(e)) this.#forget(ptr, size);
      throw e;
    }
    this.#forget(ptr, size);
  }

  // C holds the block of `size` bytes at `ptr` no more.
  #forget(ptr: number, size: number): void {
    this.#sizes.delete(ptr);
    this.#bytes -= size;
  }

  // The size of a block C holds; throws unless the bridge handed it out.
  #sizeOf(ptr: number): number {
    const size = this.#sizes.get(ptr);
    if (size < 0) throw this.#unknown(ptr);
    return size;
  }

  // Throws unless `more` bytes fit under the cap (`asked`: what C asked
  // for, where the allocator rounds it up to `more`).
  #reserve(more: number, asked = more): void {
    if (this.#bytes + more <= this.maxBytes) return;
    const rounded = asked === more
      ? ""
      : ` (${more} as the allocator rounds it)`;
    throw new OutOfMemoryError(
      `The C library asked for ${asked} bytes${rounded} more, past the bridge's cap of ${this.maxBytes} bytes (${this.#bytes} in use): raise maxBytes, or find what it keeps`,
      more,
    );
  }

  // The offset of a native address from C; throws unless it is inside the
  // memory.
  #offset(address: bigint): number {
    const ptr = toNumber(address) - this.#address;
    if (ptr > 0 && ptr < this.#length) return ptr;
    throw new PointerError(
      `Native pointer 0x${
        address.toString(16)
      } from C is not inside the allocator's memory: the library passed a pointer it did not get from this bridge`,
      ptr,
      "foreign",
    );
  }

  #wrongOldSize(ptr: number, osize: bigint, size: number): PointerError {
    return new PointerError(
      `Lua passed old size ${osize} for block 0x${ptr.toString(16)} (native 0x${
        (this.#address + ptr).toString(16)
      }), which holds ${size} bytes: the block is kept; the library passed another block's size`,
      ptr,
      "size-mismatch",
    );
  }

  #unknown(ptr: number): PointerError {
    return new PointerError(
      `Pointer 0x${ptr.toString(16)} (native 0x${
        (this.#address + ptr).toString(16)
      }) is no block this bridge handed out, or was freed already: the C library freed it twice, or passed a block from another allocator`,
      ptr,
      "foreign",
    );
  }

  // Records a refused call; never throws, whatever was thrown (nothing may
  // reach C).
  #refuse(hook: HookName, error: unknown): 0 {
    this.#refused++;
    const call: RefusedCall = Object.freeze({ hook, error: asError(error) });
    if (this.#errors.length < KEPT_ERRORS) {
      this.#errors.push(call);
      this.#errorsView = null;
    }
    this.#inOnError++;
    try {
      this.#onError?.(call);
    } catch {
      // Whatever onError throws is ignored.
    } finally {
      this.#inOnError--;
    }
    return 0;
  }

  #hook<N extends HookName>(
    name: N,
    // deno-lint-ignore no-explicit-any
    fn: (...args: any[]) => unknown,
  ): HookPointer<N> {
    this.#checkOpen();
    let callback = this.#callbacks.get(name);
    if (callback === undefined) {
      const definition: Deno.UnsafeCallbackDefinition = HOOK_DEFINITIONS[name];
      // deno-lint-ignore no-explicit-any
      callback = new Deno.UnsafeCallback(definition, fn as any);
      this.#callbacks.set(name, callback);
    }
    return callback.pointer as unknown as HookPointer<N>;
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new DestroyedError(
        "CAllocator was used after close(): make a new bridge",
      );
    }
  }
}
