// A small Lua 5.4 binding: run a chunk in a fresh state (Lua's own
// allocator, or a lua_Alloc given) and get its result as a string.
import { openLibrary } from "./_libs.ts";

export const lua = openLibrary(
  ["liblua5.4.so.0", "liblua5.4.so", "liblua.so.5.4", "liblua-5.4.so"],
  {
    luaL_newstate: { parameters: [], result: "pointer" },
    lua_newstate: { parameters: ["pointer", "pointer"], result: "pointer" },
    luaL_openlibs: { parameters: ["pointer"], result: "void" },
    luaL_loadstring: { parameters: ["pointer", "buffer"], result: "i32" },
    lua_pcallk: {
      parameters: ["pointer", "i32", "i32", "i32", "isize", "pointer"],
      result: "i32",
    },
    lua_tolstring: {
      parameters: ["pointer", "i32", "pointer"],
      result: "pointer",
    },
    lua_settop: { parameters: ["pointer", "i32"], result: "void" },
    lua_close: { parameters: ["pointer"], result: "void" },
  },
);

/** A Lua state with the standard libraries. */
export class LuaState implements Disposable {
  readonly L: Deno.PointerObject;
  #closed = false;

  /** Opens a state on `alloc` (a lua_Alloc), or on Lua's own allocator. */
  constructor(alloc?: Deno.PointerObject) {
    const l = lua.lib!.symbols;
    const L = alloc ? l.lua_newstate(alloc, null) : l.luaL_newstate();
    if (L === null) throw new Error("lua_newstate returned NULL");
    this.L = L;
    l.luaL_openlibs(L);
  }

  /** Runs `source`; its first result (or error) as a string: "ok: …", "error: …". */
  run(source: string): string {
    const l = lua.lib!.symbols;
    let code = l.luaL_loadstring(
      this.L,
      new TextEncoder().encode(source + "\0"),
    );
    if (code === 0) code = l.lua_pcallk(this.L, 0, 1, 0, 0n, null);
    const text = l.lua_tolstring(this.L, -1, null);
    const value = text === null
      ? "nil"
      : Deno.UnsafePointerView.getCString(text);
    l.lua_settop(this.L, 0);
    return `${code === 0 ? "ok" : `error ${code}`}: ${value}`;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    lua.lib!.symbols.lua_close(this.L);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Real Lua programs, each returning one string. */
export const PROGRAMS: Record<string, string> = {
  "sort and concat": `
    local t, x = {}, 12345
    for i = 1, 20000 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = x end
    table.sort(t)
    local parts = {}
    for i = 1, 20000, 4000 do parts[#parts + 1] = tostring(t[i]) end
    return table.concat(parts, ",")`,
  "string building and gsub": `
    local words = {}
    for i = 1, 5000 do words[i] = string.format("w%04d", (i * 37) % 5000) end
    local s = table.concat(words, " ")
    local n = select(2, s:gsub("w0(%d)", "<%1>"))
    return #s .. " " .. n .. " " .. s:sub(1, 30)`,
  "binary trees": `
    local function make(d)
      if d == 0 then return {} end
      return { make(d - 1), make(d - 1) }
    end
    local function check(t)
      if not t[1] then return 1 end
      return 1 + check(t[1]) + check(t[2])
    end
    local total = 0
    for i = 1, 10 do total = total + check(make(12)) end
    return tostring(total)`,
  "coroutines and closures": `
    local gen = coroutine.wrap(function()
      local a, b = 0, 1
      for i = 1, 80 do coroutine.yield(a); a, b = b, a + b end
    end)
    local sum, counters = 0, {}
    for i = 1, 80 do sum = sum + gen() end
    for i = 1, 1000 do local c = 0; counters[i] = function() c = c + i; return c end end
    local k = 0
    for i = 1, 1000 do k = k + counters[i]() + counters[i]() end
    return sum .. " " .. k`,
};

/** What each program returns on stock Lua 5.4. */
export const EXPECTED: Record<string, string> = {
  "sort and concat": "ok: 31950,428866027,859307918,1292548486,1719424397",
  "string building and gsub": "ok: 29999 1000 w0037 w0074 w0111 w0148 w0185 ",
  "binary trees": "ok: 81910",
  "coroutines and closures": "ok: 37889062373143905 1501500",
};
