/**
 * {@linkcode BufferPages}: pages in a plain `ArrayBuffer`, for any JavaScript
 * runtime.
 *
 * @module
 */
import { PAGE_SOURCE_OPTIONS } from "./page_source_options.ts";
import { Memory } from "./memory.ts";
import {
  PAGE_SIZE,
  PageSource,
  type PageSourceOptions,
} from "./page_source.ts";
import { reservePages } from "../internal/options.ts";
import { checkOptions } from "../internal/checks.ts";
import { allocateRange } from "../internal/pages.ts";

/**
 * The default reservation of {@linkcode BufferPages}: 1 GiB of address space
 * (engines commit an `ArrayBuffer` only as it is touched).
 *
 * @example
 * ```ts
 * import { BufferPages, DEFAULT_BUFFER_RESERVE } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages();
 * assert.equal(pages.reservedBytes, DEFAULT_BUFFER_RESERVE);
 * ```
 */
export const DEFAULT_BUFFER_RESERVE = 2 ** 30;

/**
 * A page source over one plain `ArrayBuffer` of the reserved size, using no
 * `Deno.*` API, so it runs unchanged in browsers, Node and Bun. Engines commit
 * a large `ArrayBuffer`'s memory lazily, so the default 1 GiB costs only what
 * is touched (use a smaller `reserve` in a browser tab). The buffer never
 * grows or moves, so views never detach until {@linkcode BufferPages.destroy}.
 *
 * It cannot give memory back: engines do not decommit an `ArrayBuffer`'s
 * pages, so {@linkcode BufferPages.committedBytes} is the high-water mark and
 * purging only zeroes freed pages ahead of reuse. Freed pages are therefore
 * kept until reused (`decayMs` defaults to `Infinity`) and zeroed when
 * handed out again.
 *
 * @example
 * ```ts
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * const p = pages.alloc(4096);
 * pages.memory.u8[p] = 42;
 * pages.free(p, 4096);
 * const q = pages.alloc(4096);
 * assert.equal(q, p);
 * assert.equal(pages.memory.u8[q], 0);
 * ```
 */
export class BufferPages extends PageSource {
  /** Always `"buffer"`. */
  readonly kind = "buffer";

  /**
   * Allocates the buffer.
   *
   * @param options The reservation size, and how freed pages are kept.
   */
  constructor(options: PageSourceOptions = {}) {
    checkOptions(options, "BufferPages", "{ reserve }", PAGE_SOURCE_OPTIONS);
    const pages = reservePages(options.reserve ?? DEFAULT_BUFFER_RESERVE);
    const bytes = pages * PAGE_SIZE;
    const buffer = allocateRange(
      bytes,
      "an ArrayBuffer",
      () => new ArrayBuffer(bytes),
    );
    // (An explicit `decayMs: undefined` means the default too.)
    super(new Memory(buffer), {
      ...options,
      decayMs: options.decayMs ?? Infinity,
    });
  }

  /** Nothing to do: the detached buffer is garbage now. */
  protected unmap(): void {}
}
