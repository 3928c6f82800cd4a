// The README's instructions, checked without writing anything: the import-map
// line of "Install" resolves the clone's library for a project that is not
// in the repository, the tarball path is the one the build writes, every
// TypeScript block is one the test task runs (`deno test --doc` takes
// README.md's blocks; an `ignore` one is run by nobody), and the figures
// script reads the benchmark's table.
import assert from "node:assert/strict";
import { dirname, relative } from "node:path";
import { PACKAGE_DIR, ROOT } from "../scripts/build_npm.ts";
import { parseWorkerTable, workerFigures } from "../scripts/readme_figures.ts";

const readme = await Deno.readTextFile(
  new URL("../README.md", import.meta.url),
);
const config = JSON.parse(
  await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
) as {
  version: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
  tasks: Record<string, string>;
};

/** The README's fenced blocks: their info string and text. */
function blocks(text: string): { info: string; code: string }[] {
  return [...text.matchAll(/^( *)```(\S*(?: \S+)*)\n([\s\S]*?)^\1```$/gm)]
    .map((m) => ({ info: m[2], code: m[3] }));
}

/** The text of one section, from its heading to the next of its level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has no "## ${heading}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

Deno.test("the clone's import-map line imports the library in a project outside the repo", async () => {
  const json = blocks(section("Install")).find((b) => b.info === "json");
  assert.ok(json, "Install has no json block");
  const { imports } = JSON.parse(json.code) as {
    imports: Record<string, string>;
  };
  const target = imports["@sp/mem"];
  // The clone sits at ../mem beside the project; inside it, the root export.
  const clone = "../mem/";
  assert.equal(target, clone + config.exports["."].replace(/^\.\//, ""));
  const url = new URL(
    target.slice(clone.length),
    new URL("../", import.meta.url),
  );
  const map = { imports: { "@sp/mem": url.href } };
  // From / with no config: nothing of the repo's deno.json applies, only the
  // map, given inline.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-config",
      `--import-map=data:application/json,${
        encodeURIComponent(JSON.stringify(map))
      }`,
      'import * as mem from "@sp/mem"; console.log(JSON.stringify(Object.keys(mem).sort()))',
    ],
    cwd: "/",
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const library = await import("../mod.ts");
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(stdout)),
    Object.keys(library).sort(),
  );
});

Deno.test("the tarball path in Install is the one deno task build:npm writes", () => {
  const sh = blocks(section("Install")).find((b) => b.info === "sh");
  assert.ok(sh, "Install has no sh block");
  const tarball = `${
    relative(ROOT, dirname(PACKAGE_DIR))
  }/sp-mem-${config.version}.tgz`;
  assert.ok(
    sh.code.includes(`task build:npm   # writes ${tarball}\n`),
    sh.code,
  );
  assert.ok(sh.code.includes(`npm install ../mem/${tarball} `), sh.code);
});

Deno.test("every README TypeScript block runs under the test task", () => {
  // deno test through the runner that joins the dot reporter's marks; the
  // verbose task is the same run with deno test's own reporter.
  const runner = "deno run --allow-run scripts/test_dots.ts ";
  assert.ok(config.tasks.test.startsWith(runner), config.tasks.test);
  const flags = config.tasks.test.slice(runner.length);
  assert.match(flags, /(^| )--doc( |$)/);
  assert.equal(config.tasks["test:verbose"], `deno test ${flags}`);
  const ignored = blocks(readme)
    .filter((b) => /^(ts|typescript|js|javascript)\b/.test(b.info))
    .filter((b) => b.info.split(" ").includes("ignore"))
    .map((b) => b.code.split("\n")[0]);
  // Every block is a complete example: one marked ignore would run nowhere.
  assert.deepEqual(ignored, [], "README blocks marked ignore (first lines)");
});

Deno.test("CI runs the test command of Commands, as Commands spells it", async () => {
  const sh = blocks(section("Commands")).find((b) => b.info === "sh");
  assert.ok(sh, "Commands has no sh block");
  const test = sh.code.match(/^(npx --yes deno@\S+) task test /m);
  assert.ok(test, sh.code);
  const ci = await Deno.readTextFile(new URL("../.ci/run", import.meta.url));
  assert.ok(ci.includes(`\ndeno() { ${test[1]} "$@"; }\n`), "CI's deno");
  assert.match(ci, /^step "deno task test" deno task test$/m);
});

Deno.test("the library's lock holds its own imports only; the bench has its own", async () => {
  const read = async (path: string) =>
    JSON.parse(await Deno.readTextFile(new URL(path, import.meta.url)));
  const lock = await read("../deno.lock") as {
    specifiers: Record<string, string>;
  };
  const bench = await read("../bench/deno.json") as {
    imports: Record<string, string>;
  };
  const benchLock = await read("../bench/deno.lock") as {
    specifiers: Record<string, string>;
  };
  // npm:name@range → name
  const name = (specifier: string) =>
    specifier.replace(/^npm:/, "").replace(/@[^@/]*$/, "");
  const names = (specifiers: Iterable<string>) =>
    [...specifiers].map(name).sort();
  assert.deepEqual(
    names(Object.keys(lock.specifiers)),
    names(Object.values(config.imports)),
  );
  assert.deepEqual(
    names(Object.keys(benchLock.specifiers)),
    names(Object.values(bench.imports)),
  );
});

Deno.test("the figures script reads bench:workers' table and states ranges over runs", () => {
  const run = (heap1: string, heap2: string) =>
    parseWorkerTable(
      `workers  backend  ns/op per worker  ops/µs  scaling  heap ÷ malloc
      1  heap   ${heap1}     8.8    1.00×           1.08
      1  malloc              100.0     9.5    1.00×
      2  heap   ${heap2}     4.4    0.50×           1.07
      2  malloc              400.0     4.7    0.50×
`,
    );
  const runs = [
    run("110.0", "480.0"),
    run("90.0", "400.0"),
    run("60.0", "440.0"),
  ];
  assert.deepEqual(runs[0].rows[0], {
    workers: 1,
    backend: "heap",
    nsPerOp: 110,
    opsPerUs: 8.8,
    scaling: 1,
  });
  const figures = workerFigures(runs, "cmd").split("\n");
  // The Markdown head is the printed table's, column for column.
  assert.equal(
    figures[0],
    "| workers | backend | ns/op per worker | ops/µs | scaling | heap ÷ malloc |",
  );
  const rows = figures.slice(2, 6);
  assert.deepEqual(rows.map((r) => r.split("|").map((c) => c.trim())[3]), [
    "90.0",
    "100.0",
    "440.0",
    "400.0",
  ]);
  assert.deepEqual(rows.map((r) => r.split("|").map((c) => c.trim())[6]), [
    "0.60–1.10",
    "",
    "1.00–1.20",
    "",
  ]);
  // Output without the table (a failed run's message) is refused, not read
  // as a table of no rows.
  assert.throws(() => parseWorkerTable("error: Module not found\n"), {
    name: "Error",
    message:
      'No table head (a line "workers  backend  …") in the output of deno task bench:workers:\nerror: Module not found\n',
  });
});
