/**
 * Builds the npm package from the same source as the JSR one:
 * `deno task build:npm` writes the package directory
 * `node_modules/.npm-package/sp-mem/` and packs it with `npm pack` into
 * `node_modules/.npm-package/sp-mem-VERSION.tgz` (inside node_modules so
 * that no Deno tool — test discovery, fmt, lint, check — takes the copied
 * README and JavaScript for source).
 *
 * tsc (npm `typescript`, pinned) compiles every module reachable from
 * deno.json's `exports` to one ESM `.js` and one `.d.ts` each, keeping the
 * source's file layout, so `@sp/mem` and `@sp/mem/heap` hand out the same
 * classes (a bundle per entry point would duplicate them). The package.json
 * takes its name, version, licence and `exports` from deno.json: a new
 * export there is in the package on the next build (unless it is one of
 * {@linkcode DENO_ONLY_EXPORTS}).
 *
 * tsc only emits here (`noCheck`): `deno check` is the type check of the
 * source, which uses Deno's own types for FFI; the emitted `.d.ts` are
 * type-checked in a Node project by `deno task test:npm`, where Deno's
 * types are absent, and so are the DOM lib's unless the project lists it. That
 * is why the build refuses a `.d.ts` that a consumer would load and that names
 * a namespace of those ({@linkcode FOREIGN_NAMESPACES}).
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The TypeScript compiler the build runs, from npm. */
export const TYPESCRIPT = "typescript@5.9.3";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Where the package directory is written. */
export const PACKAGE_DIR = join(ROOT, "node_modules/.npm-package/sp-mem");

/**
 * deno.json exports left out of the npm package: C libraries through Deno's
 * FFI (`Deno.dlopen`, `Deno.UnsafeCallback`), which Node and Bun do not
 * have, with Deno's pointer types in their signatures. Every other export
 * is in the package, and must not name a Deno type.
 */
export const DENO_ONLY_EXPORTS: readonly string[] = ["./ffi"];

/** deno.json's exports that the npm package has. */
export function npmExports(
  exports: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(exports).filter(([k]) => !DENO_ONLY_EXPORTS.includes(k)),
  );
}

/**
 * Global namespaces that a Node project's types may not have, with what to
 * do instead: a declaration file a consumer loads must name none of them.
 */
export const FOREIGN_NAMESPACES: Readonly<Record<string, string>> = {
  Deno:
    "which a Node or Bun project does not have: give the public signature a type of its own (as os/memory.ts does with NativePointer)",
  WebAssembly:
    'whose types are in TypeScript\'s DOM lib, which a Node project with "lib": ["es2022"] does not have: give the public signature a structural type (as os/wasm_pages.ts does with WasmMemoryLike)',
};

/**
 * The first of {@linkcode FOREIGN_NAMESPACES} that a declaration file's code
 * (its comments left out) names, if any.
 */
export function foreignNamespace(text: string): string | undefined {
  const bare = code(text);
  return Object.keys(FOREIGN_NAMESPACES).find((name) =>
    new RegExp(`\\b${name}\\.`).test(bare)
  );
}

interface DenoConfig {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
}

/** The package.json `exports` for deno.json's: `./x.ts` → types + JS. */
export function packageExports(
  exports: Record<string, string>,
): Record<string, { types: string; default: string }> {
  return Object.fromEntries(
    Object.entries(exports).map(([subpath, source]) => {
      if (!source.endsWith(".ts")) {
        throw new TypeError(
          `Export '${subpath}' is '${source}', not a .ts module: the npm build compiles TypeScript only`,
        );
      }
      const stem = source.slice(0, -".ts".length);
      return [subpath, { types: `${stem}.d.ts`, default: `${stem}.js` }];
    }),
  );
}

// tsc keeps `./x.ts` in declaration files (rewriteRelativeImportExtensions
// rewrites only the JavaScript): a consumer resolves `./x.js` to `./x.d.ts`.
const RELATIVE_TS =
  /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*)\.ts(["'])/g;

/** A declaration file's relative imports, pointed at the emitted `.js`. */
export function rewriteDeclaration(text: string): string {
  const rewritten = text.replace(RELATIVE_TS, "$1$2.js$3");
  // `using` support (Disposable, Symbol.dispose) is in TypeScript's
  // esnext.disposable lib, which a browser project without @types/node
  // does not list: the declarations that name it bring it themselves.
  return DISPOSABLE.test(code(rewritten))
    ? `/// <reference lib="esnext.disposable" />\n${rewritten}`
    : rewritten;
}

const DISPOSABLE = /\b(?:Async)?Disposable\b|Symbol\.(?:asyncD|d)ispose\b/;

/** The relative modules a declaration file imports (as `.d.ts` paths). */
function declarationImports(file: string, text: string): string[] {
  return [
    ...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']*)\.js["']/g),
  ]
    .map((m) => join(dirname(file), `${m[1]}.d.ts`));
}

/** The text without comments, for looking at the code alone. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
}

async function run(command: string, args: string[], cwd = ROOT) {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr);
  if (code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${code}:\n${text}`);
  }
  return text;
}

async function copyTree(from: string, to: string) {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name), target = join(to, entry.name);
    if (entry.isDirectory) await copyTree(source, target);
    else await Deno.copyFile(source, target);
  }
}

/** What {@linkcode build} wrote. */
export interface Built {
  /** The package directory. */
  dir: string;
  /** The packed tarball, beside it. */
  tarball: string;
}

/**
 * Writes the package directory and its tarball.
 *
 * @returns Their paths.
 */
export async function build(): Promise<Built> {
  const config = JSON.parse(
    await Deno.readTextFile(join(ROOT, "deno.json")),
  ) as DenoConfig;
  const entries = npmExports(config.exports);
  const exports = packageExports(entries);
  await Deno.remove(dirname(PACKAGE_DIR), { recursive: true }).catch(() => {});
  await Deno.mkdir(PACKAGE_DIR, { recursive: true });

  const work = await Deno.makeTempDir({ prefix: "sp-mem-build-" });
  try {
    await Deno.writeTextFile(
      join(work, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          allowImportingTsExtensions: true,
          rewriteRelativeImportExtensions: true,
          declaration: true,
          noCheck: true,
          strict: true,
          lib: ["es2022", "esnext.disposable", "dom"],
          types: [],
          rootDir: ROOT,
          outDir: PACKAGE_DIR,
          newLine: "lf",
        },
        files: Object.values(entries).map((path) => join(ROOT, path)),
      }),
    );
    await run("npx", [
      "--yes",
      "-p",
      TYPESCRIPT,
      "tsc",
      "-p",
      join(work, "tsconfig.json"),
    ]);
  } finally {
    await Deno.remove(work, { recursive: true });
  }

  // Rewrite every declaration file, then keep the ones a consumer loads:
  // those reachable from an export (a private module's types that no
  // public signature names stay out, and so do their Deno types).
  const declarations = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".d.ts")) {
        declarations.set(
          path,
          rewriteDeclaration(await Deno.readTextFile(path)),
        );
      }
    }
  };
  await walk(PACKAGE_DIR);
  const reachable = new Set<string>();
  const queue = Object.values(exports).map((e) => join(PACKAGE_DIR, e.types));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (reachable.has(file)) continue;
    const text = declarations.get(file);
    if (text === undefined) {
      throw new Error(`A declaration imports ${file}, which tsc did not emit`);
    }
    reachable.add(file);
    const foreign = foreignNamespace(text);
    if (foreign !== undefined) {
      throw new Error(
        `${relative(PACKAGE_DIR, file)} names the ${foreign} namespace, ${
          FOREIGN_NAMESPACES[foreign]
        }`,
      );
    }
    queue.push(...declarationImports(file, text));
  }
  for (const [file, text] of declarations) {
    if (reachable.has(file)) await Deno.writeTextFile(file, text);
    else await Deno.remove(file);
  }

  await Deno.copyFile(join(ROOT, "README.md"), join(PACKAGE_DIR, "README.md"));
  await Deno.copyFile(join(ROOT, "LICENSE"), join(PACKAGE_DIR, "LICENSE"));
  await copyTree(join(ROOT, "docs"), join(PACKAGE_DIR, "docs"));
  await Deno.writeTextFile(
    join(PACKAGE_DIR, "package.json"),
    JSON.stringify(
      {
        name: config.name,
        version: config.version,
        description:
          "Memory allocators over real bytes: a size-class heap, arenas, pools and a debug allocator on ArrayBuffer, WebAssembly.Memory, SharedArrayBuffer or (in Deno) mmap'd memory",
        keywords: ["allocator", "malloc", "arena", "pool", "memory", "wasm"],
        license: config.license,
        type: "module",
        // For resolvers older than `exports` (TypeScript's `node10`).
        main: exports["."].default,
        types: exports["."].types,
        exports,
        // No module does anything when imported: a bundler may drop all
        // it does not use (the root import kept ~16 kB of unused code).
        sideEffects: false,
        // Node 20 is tested too (`deno task test:node20`).
        engines: { node: ">=20" },
      },
      null,
      2,
    ) + "\n",
  );
  const [{ filename }] = JSON.parse(
    await run("npm", [
      "pack",
      "--json",
      "--pack-destination",
      dirname(PACKAGE_DIR),
    ], PACKAGE_DIR),
  ) as { filename: string }[];
  return { dir: PACKAGE_DIR, tarball: join(dirname(PACKAGE_DIR), filename) };
}

if (import.meta.main) {
  const { dir, tarball } = await build();
  console.log(
    `npm package: ${relative(ROOT, dir)}/, packed: ${relative(ROOT, tarball)}`,
  );
}
