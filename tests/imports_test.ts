// The shape of the package's import graph, read from `deno info --json` over
// every entry point of deno.json's exports: no import cycle among the imports
// that run (a type-only import is erased, so it cannot make one), and no file
// reaches into another folder's private `_` files, type imports included
// (shared helpers live in internal/).
import assert from "node:assert/strict";

interface Dependency {
  code?: { specifier: string };
  type?: { specifier: string };
}
interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

const root = new URL("../", import.meta.url);
const config = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", root)),
) as { exports: Record<string, string> };
const entries = Object.values(config.exports);

/**
 * The package's own modules (under the repo root), each with all its imports
 * and with the imports that run.
 */
async function graph(): Promise<
  { edges: Map<string, string[]>; running: Map<string, string[]> }
> {
  const own = (url: string) =>
    url.startsWith(root.href) ? url.slice(root.href.length) : undefined;
  const edges = new Map<string, string[]>(),
    running = new Map<string, string[]>();
  for (const entry of entries) {
    // `deno info` takes one root at a time.
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const info = JSON.parse(new TextDecoder().decode(stdout)) as {
      modules: Module[];
    };
    for (const module of info.modules) {
      const from = own(module.specifier);
      if (from === undefined) continue;
      const to = (module.dependencies ?? [])
        .map((d) => own(d.code?.specifier ?? d.type?.specifier ?? ""))
        .filter((path): path is string => path !== undefined);
      edges.set(from, to);
      running.set(
        from,
        (module.dependencies ?? []).map((d) => own(d.code?.specifier ?? ""))
          .filter((path): path is string => path !== undefined),
      );
    }
  }
  return { edges, running };
}

const { edges, running } = await graph();

Deno.test("imports: the graph holds every entry point and its folders", () => {
  for (const entry of entries) {
    assert.ok(edges.has(entry.replace(/^\.\//, "")), entry);
  }
  assert.ok([...edges.keys()].some((path) => path.startsWith("internal/")));
});

Deno.test("imports: no module is part of an import cycle", () => {
  const done = new Set<string>(), path: string[] = [];
  const visit = (module: string): void => {
    const at = path.indexOf(module);
    assert.equal(
      at,
      -1,
      `import cycle: ${[...path.slice(at), module].join(" -> ")}`,
    );
    if (done.has(module)) return;
    path.push(module);
    for (const next of running.get(module) ?? []) visit(next);
    path.pop();
    done.add(module);
  };
  for (const module of edges.keys()) visit(module);
});

Deno.test("imports: a `_` file is imported only from its own folder", () => {
  const folder = (path: string) => path.slice(0, path.lastIndexOf("/") + 1);
  const crossings = [...edges].flatMap(([from, to]) =>
    to.filter((path) =>
      path.slice(path.lastIndexOf("/") + 1).startsWith("_") &&
      folder(path) !== folder(from)
    ).map((path) => `${from} -> ${path}`)
  );
  assert.deepEqual(crossings, []);
});
