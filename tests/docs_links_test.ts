// Every link into the docs resolves: a Markdown link to a file of the repo
// or to a section anchor (in its own file or another), and every
// `design.md#anchor` a code comment points to. Anchors are GitHub's heading
// slugs, with "-1", "-2"… for repeated headings.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** GitHub's slug of a heading's text. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "")
    .replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

/** The anchors of a Markdown file's headings (outside code fences). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, ROOT));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(new URL(path, ROOT));
    return true;
  } catch {
    return false;
  }
}

/** Every tracked-looking source file under the root (no node_modules). */
function files(dir = "", ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(new URL(dir || ".", ROOT))) {
    const path = dir + e.name;
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    if (e.isDirectory) out.push(...files(`${path}/`, ext));
    else if (ext.test(e.name)) out.push(path);
  }
  return out;
}

/**
 * Where `target` leads, as a file and an anchor: relative to the file `base`
 * (a Markdown link; an empty file part is `base` itself).
 */
function resolve(base: string, target: string): [string, string] {
  const [file, anchor = ""] = target.split("#");
  const path = file === ""
    ? base
    : new URL(file, new URL(base, ROOT)).pathname.slice(ROOT.pathname.length);
  return [path, anchor];
}

/** The links of `from` that lead nowhere; `base` is what they are relative to. */
function problems(from: string, targets: string[], base = from): string[] {
  const out: string[] = [];
  for (const target of targets) {
    const [path, anchor] = resolve(base, target);
    if (!exists(path)) out.push(`${from}: ${target}: no file ${path}`);
    else if (anchor !== "" && path.endsWith(".md")) {
      if (!anchors(read(path)).has(anchor)) {
        out.push(`${from}: ${target}: no heading with anchor #${anchor}`);
      }
    }
  }
  return out;
}

Deno.test("slugs follow GitHub's rule", () => {
  assert.equal(slug("Arena, fixed and scratch"), "arena-fixed-and-scratch");
  assert.equal(slug("OsPages and BufferPages"), "ospages-and-bufferpages");
  assert.equal(slug("`Pool`: slabs (and blocks)"), "pool-slabs-and-blocks");
  assert.deepEqual(
    [...anchors("# A\n## B c\n```\n# not a heading\n```\n## B c\n")],
    ["a", "b-c", "b-c-1"],
  );
});

Deno.test("every Markdown link resolves", () => {
  const out = files("", /\.md$/).flatMap((from) => {
    const targets = [...read(from).matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1])
      .filter((t) => !/^[a-z]+:/.test(t));
    return problems(from, targets);
  });
  assert.deepEqual(out, []);
});

Deno.test("every design.md anchor in the code resolves", () => {
  const out = files("", /\.ts$/).flatMap((from) => {
    const targets = [...read(from).matchAll(/docs\/design\.md#[a-z0-9-]+/g)]
      .map((m) => m[0]);
    return problems(from, targets, "README.md");
  });
  assert.deepEqual(out, []);
});
