// Opens a system C library by any of its usual names, or says why not, so
// that a test can skip with a message where the library is absent.

/** Where Debian-like and other Linux systems keep shared libraries. */
const DIRS = [
  "",
  "/lib/x86_64-linux-gnu/",
  "/usr/lib/x86_64-linux-gnu/",
  "/lib/aarch64-linux-gnu/",
  "/usr/lib/aarch64-linux-gnu/",
  "/usr/lib64/",
  "/usr/lib/",
  "/usr/local/lib/",
];

/** The library opened, or why none of its names could be. */
export type Opened<S extends Deno.ForeignLibraryInterface> =
  | { lib: Deno.DynamicLibrary<S>; path: string; missing?: undefined }
  | { lib?: undefined; path?: undefined; missing: string };

/**
 * Opens the first of `names` (sonames, tried in `DIRS`) that loads and has
 * every symbol.
 */
export function openLibrary<const S extends Deno.ForeignLibraryInterface>(
  names: readonly string[],
  symbols: S,
): Opened<S> {
  const tried: string[] = [];
  for (const name of names) {
    for (const dir of DIRS) {
      const path = dir + name;
      try {
        return { lib: Deno.dlopen(path, symbols), path };
      } catch (e) {
        if (dir === "") tried.push(`${name}: ${(e as Error).message}`);
      }
    }
  }
  return {
    missing: `none of ${names.join(", ")} could be opened (${
      tried.join("; ")
    })`,
  };
}

/** `Deno.test` that is skipped, saying why, when `missing` is set. */
export function testWith(
  name: string,
  missing: string | undefined,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): void {
  if (missing !== undefined) {
    console.warn(`skipping "${name}": ${missing}`);
  }
  Deno.test({ name, ignore: missing !== undefined, fn });
}
