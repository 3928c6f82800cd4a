/**
 * {@linkcode defaultPages}: the best page source this runtime allows.
 *
 * @module
 */
import { BufferPages } from "./buffer_pages.ts";
import { OsPages, type OsPagesOptions } from "./os_pages.ts";
import type { PageSource } from "./page_source.ts";
import { PAGE_SOURCE_OPTIONS } from "./page_source_options.ts";
import { checkOptions, kindOf } from "../internal/checks.ts";
import { ffiScoped } from "./_libc.ts";

/**
 * Options of {@linkcode defaultPages}: those of the page source, and whether
 * a plain `ArrayBuffer` will do where native memory cannot be had.
 *
 * @example Native memory or an error
 * ```ts
 * import { defaultPages, FfiUnavailableError } from "@sp/mem/os";
 *
 * try {
 *   using pages = defaultPages({ reserve: 2 ** 24, fallback: false });
 *   console.log(pages.memory.native); // true: C can use this memory
 * } catch (e) {
 *   if (!(e instanceof FfiUnavailableError)) throw e;
 * }
 * ```
 */
export interface DefaultPagesOptions extends OsPagesOptions {
  /**
   * Whether to fall back to a {@linkcode BufferPages} where FFI is not
   * available (default true: it is, with a one-line warning the first time
   * in Deno, where `--allow-ffi` would have given native memory). With
   * false, an {@linkcode FfiUnavailableError} says what is missing instead.
   */
  fallback?: boolean;
}

/**
 * Makes an {@linkcode OsPages} where Deno's FFI is available and permitted
 * (`--allow-ffi`), else a {@linkcode BufferPages}. Ask the result's `kind`
 * (`"os"` or `"buffer"`) which one was chosen. It never prompts for
 * permission. In Deno without `--allow-ffi`, the first fallback prints one
 * warning (memory from it has no native pointers for C); `fallback: false`
 * makes it an error instead.
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
export function defaultPages(options: DefaultPagesOptions = {}): PageSource {
  checkOptions(options, "defaultPages", "{ reserve, fallback }", [
    ...PAGE_SOURCE_OPTIONS,
    "fallback",
  ]);
  const { fallback = true, ...rest } = options;
  if (typeof fallback !== "boolean") {
    throw new TypeError(
      `defaultPages option fallback must be a boolean, got ${kindOf(fallback)}`,
    );
  }
  const missing = whyNoFfi();
  if (missing === null) return new OsPages(rest);
  if (!fallback) return new OsPages(rest); // throws FfiUnavailableError
  if (!warned && typeof Deno !== "undefined") {
    warned = true;
    console.warn(
      `@sp/mem: ${missing}, so memory comes from a plain ArrayBuffer (BufferPages), which C cannot use: ${
        missing.startsWith("native") ? "" : "run deno with --allow-ffi" +
          (missing.includes("unscoped") ? " (with no path)" : "") +
          " for native memory, or "
      }pass { fallback: false } to make this an error`,
    );
  }
  return new BufferPages(rest);
}

// The fallback warning is printed once per process.
let warned = false;

// Why OsPages cannot be had here (the start of the warning), or null if it
// can: outside Deno, off Linux, or without unscoped FFI permission (a
// path-scoped --allow-ffi=DIR does not cover libc).
function whyNoFfi(): string | null {
  if (typeof Deno === "undefined") return "not Deno";
  if (Deno.build?.os !== "linux") {
    return `native memory (OsPages) is Linux-only, and this is ${Deno.build?.os}`;
  }
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
      return null;
    }
    return ffiScoped() ? "no unscoped FFI permission" : "no FFI permission";
  } catch {
    return "no FFI permission";
  }
}
