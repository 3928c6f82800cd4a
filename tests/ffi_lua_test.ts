// Lua 5.4 states on a heap through the bridge's lua_Alloc: real programs
// give stock Lua's results, an out-of-memory under a cap is a Lua error
// the script recovers from, and closing the state leaves the heap empty.
// Skipped where liblua5.4 is absent (Debian: apt-get install liblua5.4-0).
import assert from "node:assert/strict";
import { CAllocator } from "../ffi/mod.ts";
import { DebugAllocator } from "../debug/mod.ts";
import { Heap } from "../heap/mod.ts";
import { type Allocator, OutOfMemoryError } from "../os/mod.ts";
import { assertEmpty } from "./ffi/_allocators.ts";
import { testWith } from "./ffi/_libs.ts";
import { EXPECTED, lua, LuaState, PROGRAMS } from "./ffi/_lua.ts";

const parents: [string, (heap: Heap) => Allocator][] = [
  ["a heap", (heap) => heap],
  // Lua passes every block's size back: the debug allocator checks each.
  ["a debug allocator", (heap) => new DebugAllocator({ parent: heap })],
];

for (const [name, parent] of parents) {
  testWith(
    `lua: real programs on ${name} give stock Lua's results`,
    lua.missing,
    () => {
      using heap = new Heap(); // on native pages of its own
      const allocator = parent(heap);
      using bridge = new CAllocator(allocator);
      {
        using stock = new LuaState();
        using state = new LuaState(bridge.luaAlloc);
        for (const [program, source] of Object.entries(PROGRAMS)) {
          assert.equal(stock.run(source), EXPECTED[program], program);
          assert.equal(state.run(source), EXPECTED[program], program);
        }
        assert.ok(bridge.bytesUsed > 0);
      }
      assert.equal(bridge.bytesUsed, 0);
      if (allocator instanceof DebugAllocator) {
        assert.deepEqual(allocator.leaks(), []);
        allocator.destroy();
      }
      assertEmpty(heap, bridge, 0);
    },
  );
}

testWith(
  "lua: out of memory under a cap is an error the script recovers from",
  lua.missing,
  () => {
    const refused: string[] = [];
    using heap = new Heap(); // on native pages of its own
    using bridge = new CAllocator(heap, {
      maxBytes: 2 ** 21,
      onError: (call) => refused.push(call.hook),
    });
    {
      using state = new LuaState(bridge.luaAlloc);
      const result = state.run(`
      local ok, err = pcall(function()
        local t = {}
        for i = 1, 1e7 do t[i] = string.rep("x", 100) .. i end
      end)
      collectgarbage()
      local after = {}
      for i = 1, 1000 do after[i] = i * i end
      return tostring(ok) .. " | " .. tostring(err) .. " | " .. after[1000]`);
      assert.equal(result, "ok: false | not enough memory | 1000000");
      assert.ok(bridge.bytesUsed <= 2 ** 21);
      // The script goes on allocating afterwards.
      assert.equal(
        state.run(PROGRAMS["binary trees"]),
        EXPECTED["binary trees"],
      );
    }
    // Each refusal is one request past the cap (Lua collects and retries
    // before it raises the error), all recorded.
    assert.equal(refused.length, bridge.refusedCalls);
    assert.ok(refused.every((hook) => hook === "luaAlloc"));
    assert.ok(bridge.errors[0].error instanceof OutOfMemoryError);
    assert.match(
      bridge.errors[0].error.message,
      /past the bridge's cap of 2097152 bytes/,
    );
    assertEmpty(heap, bridge);
  },
);
