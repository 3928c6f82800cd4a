// Runs one sqlite session and prints what it found as JSON: `stock` on
// sqlite's own malloc, `heap` with SQLITE_CONFIG_MALLOC set to a bridge over
// a Heap (which must happen before sqlite3_initialize, so once a process).
// Usage: deno run --allow-ffi --allow-read=. _sqlite_child.ts stock|heap [rows]
import { CAllocator } from "../../ffi/mod.ts";
import { Heap } from "../../heap/mod.ts";
import { OsPages } from "../../os/mod.ts";
import { openLibrary } from "./_libs.ts";

const sqlite = openLibrary(["libsqlite3.so.0", "libsqlite3.so"], {
  sqlite3_config: { parameters: ["i32", "buffer"], result: "i32" },
  sqlite3_initialize: { parameters: [], result: "i32" },
  sqlite3_shutdown: { parameters: [], result: "i32" },
  sqlite3_open: { parameters: ["buffer", "buffer"], result: "i32" },
  sqlite3_close: { parameters: ["pointer"], result: "i32" },
  sqlite3_exec: {
    parameters: ["pointer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  sqlite3_prepare_v2: {
    parameters: ["pointer", "buffer", "i32", "buffer", "pointer"],
    result: "i32",
  },
  sqlite3_bind_int64: { parameters: ["pointer", "i32", "i64"], result: "i32" },
  sqlite3_bind_text: {
    parameters: ["pointer", "i32", "buffer", "i32", "pointer"],
    result: "i32",
  },
  sqlite3_step: { parameters: ["pointer"], result: "i32" },
  sqlite3_reset: { parameters: ["pointer"], result: "i32" },
  sqlite3_finalize: { parameters: ["pointer"], result: "i32" },
  sqlite3_column_int64: { parameters: ["pointer", "i32"], result: "i64" },
  sqlite3_column_text: { parameters: ["pointer", "i32"], result: "pointer" },
  sqlite3_memory_used: { parameters: [], result: "i64" },
});
if (sqlite.missing) {
  console.log(JSON.stringify({ missing: sqlite.missing }));
  Deno.exit(0);
}
const s = sqlite.lib!.symbols;
const SQLITE_CONFIG_MALLOC = 4, SQLITE_ROW = 100, SQLITE_DONE = 101;
const SQLITE_TRANSIENT = Deno.UnsafePointer.create(2n ** 64n - 1n);
const mode = Deno.args[0];
const rows = Number(Deno.args[1] ?? 100_000);
const encoder = new TextEncoder();
const cstr = (text: string) => encoder.encode(text + "\0");

function ok(code: number, what: string): void {
  if (code !== 0) throw new Error(`${what} failed: sqlite code ${code}`);
}

const pages = mode === "heap" ? new OsPages({ reserve: 2 ** 30 }) : null;
const heap = pages ? new Heap({ pages }) : null;
const bridge = heap ? new CAllocator(heap) : null;
if (bridge) {
  ok(s.sqlite3_config(SQLITE_CONFIG_MALLOC, bridge.sqliteMemMethods), "config");
}
ok(s.sqlite3_initialize(), "initialize");

const out = new BigUint64Array(1);
const handle = () => Deno.UnsafePointer.create(out[0]);
ok(s.sqlite3_open(cstr(":memory:"), new Uint8Array(out.buffer)), "open");
const db = handle();
const exec = (sql: string) =>
  ok(s.sqlite3_exec(db, cstr(sql), null, null, null), sql);

function prepare(sql: string): Deno.PointerValue {
  ok(
    s.sqlite3_prepare_v2(db, cstr(sql), -1, new Uint8Array(out.buffer), null),
    sql,
  );
  return handle();
}

function query(sql: string): (string | bigint)[][] {
  const stmt = prepare(sql);
  const result: (string | bigint)[][] = [];
  while (s.sqlite3_step(stmt) === SQLITE_ROW) {
    const text = s.sqlite3_column_text(stmt, 1);
    result.push([
      s.sqlite3_column_int64(stmt, 0),
      text === null ? "" : Deno.UnsafePointerView.getCString(text),
    ]);
  }
  ok(s.sqlite3_finalize(stmt), "finalize");
  return result;
}

exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score INTEGER)");
exec("BEGIN");
const insert = prepare("INSERT INTO t (id, name, score) VALUES (?, ?, ?)");
for (let i = 1; i <= rows; i++) {
  const name = encoder.encode(
    `name ${(i * 7919) % rows} ${"x".repeat(i % 23)}`,
  );
  s.sqlite3_bind_int64(insert, 1, BigInt(i));
  s.sqlite3_bind_text(insert, 2, name, name.length, SQLITE_TRANSIENT);
  s.sqlite3_bind_int64(insert, 3, BigInt((i * 31) % 1000));
  if (s.sqlite3_step(insert) !== SQLITE_DONE) throw new Error(`insert ${i}`);
  s.sqlite3_reset(insert);
}
ok(s.sqlite3_finalize(insert), "finalize");
exec("COMMIT");
exec("CREATE INDEX t_score ON t (score)");
const results = [
  query("SELECT count(*), sum(score) || ' ' || sum(length(name)) FROM t"),
  query(
    "SELECT score, count(*) FROM t GROUP BY score ORDER BY 2 DESC, 1 LIMIT 5",
  ),
  query("SELECT id, name FROM t WHERE score = 7 ORDER BY name DESC LIMIT 5"),
  query(
    "SELECT sum(id), group_concat(name, '|') FROM (SELECT id, name FROM t ORDER BY name LIMIT 3)",
  ),
  // Two strings grown side by side: sqlite fills each buffer to the size
  // xSize reports before it reallocates, so realloc must keep all of it.
  query(
    "SELECT length(a) + length(b), substr(a, 4990, 20) || substr(b, 4990, 20) FROM (SELECT group_concat(printf('%04d', id), ';') AS a, group_concat(printf('%04d', id), ',') AS b FROM t WHERE id <= 2000)",
  ),
].map((rows) => rows.map((row) => row.map(String)));
// What sqlite counts (through xSize) and what the bridge holds, while open.
const used = Number(s.sqlite3_memory_used());
const held = bridge?.bytesUsed ?? null;
ok(s.sqlite3_close(db), "close");
ok(s.sqlite3_shutdown(), "shutdown");

let validated = "no heap";
if (heap) {
  try {
    heap.validate();
    validated = "clean";
  } catch (e) {
    validated = String(e);
  }
}
console.log(JSON.stringify({
  results,
  used,
  held,
  heapBytesUsed: heap?.bytesUsed ?? null,
  bridgeBytesUsed: bridge?.bytesUsed ?? null,
  refused: bridge?.refusedCalls ?? null,
  validated,
}));
bridge?.close();
heap?.destroy();
pages?.destroy();
