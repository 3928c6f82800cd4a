// sqlite on a heap: SQLITE_CONFIG_MALLOC must be set before
// sqlite3_initialize, once a process, so each run is a subprocess that
// prints what it found (tests/ffi/_sqlite_child.ts).
import assert from "node:assert/strict";
import { openLibrary, testWith } from "./ffi/_libs.ts";

const child = new URL("./ffi/_sqlite_child.ts", import.meta.url).pathname;
const present = openLibrary(["libsqlite3.so.0", "libsqlite3.so"], {
  sqlite3_libversion: { parameters: [], result: "pointer" },
});
present.lib?.close();

interface Run {
  results: string[][][];
  used: number;
  held: number | null;
  heapBytesUsed: number | null;
  bridgeBytesUsed: number | null;
  refused: number | null;
  validated: string;
}

async function run(mode: "stock" | "heap", rows: number): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read=.", child, mode, String(rows)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(text);
}

testWith(
  "sqlite: 10^5 rows on a heap give the stock results, and leave the heap empty",
  present.missing,
  async () => {
    const [stock, heap] = await Promise.all([
      run("stock", 100_000),
      run("heap", 100_000),
    ]);
    assert.deepEqual(heap.results, stock.results);
    assert.deepEqual(stock.results[0], [["100000", "49950000 2188871"]]);
    assert.deepEqual(stock.results[4], [[
      "19998",
      ";0999;1000;1001;1002,0999,1000,1001,1002",
    ]]);
    // While the database was open, sqlite's own count of its memory (from
    // xSize) was exactly what the bridge held for it.
    assert.ok(heap.used > 1_000_000, `${heap.used}`);
    assert.equal(heap.held, heap.used);
    assert.deepEqual(
      [heap.heapBytesUsed, heap.bridgeBytesUsed, heap.refused, heap.validated],
      [0, 0, 0, "clean"],
    );
  },
);
