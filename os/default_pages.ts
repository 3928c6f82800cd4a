/**
 * {@linkcode defaultPages}: the best page source this runtime allows.
 *
 * @module
 */
import { BufferPages } from "./buffer_pages.ts";
import { OsPages, type OsPagesOptions } from "./os_pages.ts";
import type { PageSource } from "./page_source.ts";

/**
 * Makes an {@linkcode OsPages} where Deno's FFI is available and permitted
 * (`--allow-ffi`), else a {@linkcode BufferPages}. Ask the result's `kind`
 * (`"os"` or `"buffer"`) which one was chosen. It never prompts for
 * permission.
 *
 * @example
 * ```ts
 * import { defaultPages } from "@sp/mem/os";
 *
 * using pages = defaultPages({ reserve: 2 ** 24 });
 * console.log(pages.kind); // "os" with --allow-ffi, else "buffer"
 * ```
 *
 * @param options Passed to the chosen page source.
 * @returns The page source.
 */
export function defaultPages(options: OsPagesOptions = {}): PageSource {
  return ffiPermitted() ? new OsPages(options) : new BufferPages(options);
}

function ffiPermitted(): boolean {
  if (typeof Deno === "undefined" || Deno.build?.os !== "linux") return false;
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}
