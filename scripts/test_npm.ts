/**
 * The npm package test, `deno task test:npm`: builds and packs the package
 * (scripts/build_npm.ts), lints it with publint and arethetypeswrong
 * (ESM-only profile), then installs the tarball into a fresh
 * Node project and a fresh Bun project in temporary folders outside the
 * repository. In each it runs scripts/npm_consumer.ts (every export imported, a
 * Heap, an Arena, a Pool, OsPages refused) and the cross-runtime cases of
 * tests/runtimes/ with their imports pointed at `@sp/mem`, on Node 22 and
 * on Bun; in the Node project tsc type-checks all of it against the
 * package's `.d.ts`, with Node's types and not Deno's: once with TypeScript's
 * DOM lib, once the consumer program alone as a Node project has it by
 * default (`@types/node`, `"lib": ["es2022"]`, no `WebAssembly` types). Exits
 * 1 at the first failure, with the output of the step that failed.
 *
 * @module
 */
import { join } from "node:path";
import { build, ROOT, TYPESCRIPT } from "./build_npm.ts";

/** The tools and runtimes the test takes from npm, pinned. */
export const TOOLS = {
  publint: "publint@0.3.25",
  attw: "@arethetypeswrong/cli@0.18.5",
  node: "node@22",
  typesNode: "@types/node@22.20.7",
};

/** The cross-runtime case files the projects run, from tests/runtimes/. */
const CASE_FILES = ["cases.ts", "check.ts", "run.ts"];

async function run(
  label: string,
  command: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const began = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", npm_config_update_notifier: "false" },
  }).output();
  const text = (new TextDecoder().decode(stdout) +
    new TextDecoder().decode(stderr)).trimEnd();
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  if (code !== 0) {
    console.log(text);
    throw new Error(`${label} failed (exit ${code}) after ${seconds} s`);
  }
  console.log(`npm: ${label}: ok in ${seconds} s`);
  return text;
}

/** Copies the consumer program and the cases into a project folder. */
async function addProgram(project: string) {
  await Deno.copyFile(
    join(ROOT, "scripts/npm_consumer.ts"),
    join(project, "main.ts"),
  );
  for (const file of CASE_FILES) {
    const text = await Deno.readTextFile(join(ROOT, "tests/runtimes", file));
    const pointed = text.replaceAll('"../../mod.ts"', '"@sp/mem"');
    if (file === "cases.ts" && pointed === text) {
      throw new Error("tests/runtimes/cases.ts no longer imports ../../mod.ts");
    }
    await Deno.writeTextFile(join(project, file), pointed);
  }
}

async function project(
  name: string,
  manifest: Record<string, unknown>,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `sp-mem-${name}-` });
  await Deno.writeTextFile(
    join(dir, "package.json"),
    JSON.stringify(
      {
        name: `sp-mem-${name}-check`,
        private: true,
        type: "module",
        ...manifest,
      },
      null,
      2,
    ),
  );
  await addProgram(dir);
  return dir;
}

const dirs: string[] = [];
try {
  const began = performance.now();
  const { dir: packageDir, tarball } = await build();
  console.log(
    `npm: build: ok in ${((performance.now() - began) / 1000).toFixed(1)} s`,
  );
  console.log(
    await run(
      "publint",
      "npx",
      ["--yes", TOOLS.publint, "--strict", "."],
      packageDir,
    ),
  );
  console.log(
    await run(
      "attw",
      "npx",
      [
        "--yes",
        "-p",
        TOOLS.attw,
        "attw",
        "--pack",
        ".",
        "--profile",
        "esm-only",
        "--format",
        "ascii",
        "--no-color",
      ],
      packageDir,
    ),
  );
  const node = await project("node", {});
  dirs.push(node);
  await run(
    "npm install (Node project)",
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      tarball,
      TYPESCRIPT,
      TOOLS.typesNode,
    ],
    node,
  );
  const compilerOptions = {
    target: "es2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    types: ["node"],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    // The package's own .d.ts are checked too: with skipLibCheck an
    // unresolved type in them would silently be `any`.
    skipLibCheck: false,
  };
  // The program and the cases, which make WebAssembly memories: with the
  // DOM lib, where WebAssembly's types are.
  await Deno.writeTextFile(
    join(node, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        lib: ["es2022", "esnext.disposable", "dom"],
      },
      include: ["*.ts"],
    }),
  );
  await run("tsc --noEmit (Node project)", "npx", ["tsc", "-p", "."], node);
  // The program alone as a Node project has it by default: no DOM lib, so
  // no WebAssembly types; the package's types must load all the same.
  await Deno.writeTextFile(
    join(node, "tsconfig.node.json"),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, lib: ["es2022"] },
      files: ["main.ts"],
    }),
  );
  await run(
    'tsc --noEmit (Node project, "lib": ["es2022"])',
    "npx",
    ["tsc", "-p", "tsconfig.node.json"],
    node,
  );
  // A browser project: the DOM lib, no @types/node and no esnext.disposable
  // listed (the package's declarations bring what `using` needs).
  await Deno.writeTextFile(
    join(node, "browser.ts"),
    [
      'import { BufferPages, Heap } from "@sp/mem";',
      "using pages = new BufferPages({ reserve: 2 ** 20 });",
      "using heap = new Heap({ pages });",
      "heap.free(heap.alloc(64), 64);",
      "export {};",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    join(node, "tsconfig.browser.json"),
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        types: [],
        lib: ["es2022", "dom"],
      },
      files: ["browser.ts"],
    }),
  );
  await run(
    'tsc --noEmit (browser project, "lib": ["es2022", "dom"], no @types/node)',
    "npx",
    ["tsc", "-p", "tsconfig.browser.json"],
    node,
  );
  console.log(
    await run("node main.ts", "npx", ["--yes", TOOLS.node, "main.ts"], node),
  );
  console.log(
    await run("node run.ts", "npx", ["--yes", TOOLS.node, "run.ts"], node),
  );

  const bun = await project("bun", {
    dependencies: { "@sp/mem": `file:${tarball}` },
  });
  dirs.push(bun);
  await run(
    "bun install (Bun project)",
    "npx",
    ["--yes", "bun", "install"],
    bun,
  );
  console.log(
    await run("bun main.ts", "npx", ["--yes", "bun", "main.ts"], bun),
  );
  console.log(await run("bun run.ts", "npx", ["--yes", "bun", "run.ts"], bun));
  console.log("npm: the package installs and runs in Node and Bun projects");
} finally {
  for (const dir of dirs) await Deno.remove(dir, { recursive: true });
}
