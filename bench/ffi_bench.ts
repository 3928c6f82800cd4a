/**
 * `deno bench --allow-ffi --allow-read=. bench/ffi_bench.ts`: what FFI code
 * pays per call — converting between pointers and native addresses, an empty
 * callback of the `lua_Alloc` shape, the same callback allocating through the
 * C bridge or through libc — and real C libraries on a heap against libc.
 *
 * @module
 */
import { OsPages } from "../os/mod.ts";

const pages = new OsPages({ reserve: 2 ** 26 });
const memory = pages.memory;
const ptrs = Array.from({ length: 1024 }, (_, k) => 4096 + k * 48);
const natives = ptrs.map((p) => memory.pointer(p));
const address = memory.address!;
let i = 0;

// ── pointer conversions ─────────────────────────────────────────────────
const group = "pointer conversions";
Deno.bench("loop floor (an array read)", { group }, () => {
  natives[i++ & 1023];
});
Deno.bench("memory.pointer(p)", { group }, () => {
  memory.pointer(ptrs[i++ & 1023]);
});
Deno.bench("memory.offsetOf(ptr)", { group }, () => {
  memory.offsetOf(natives[i++ & 1023]);
});
Deno.bench("Deno.UnsafePointer.create(address + BigInt(p))", { group }, () => {
  Deno.UnsafePointer.create(address + BigInt(ptrs[i++ & 1023]));
});
const base = memory.pointer(4096)!;
Deno.bench("Deno.UnsafePointer.offset(base, p)", { group }, () => {
  Deno.UnsafePointer.offset(base, ptrs[i++ & 1023] - 4096);
});
Deno.bench("Deno.UnsafePointer.value(ptr) - address", { group }, () => {
  Number(Deno.UnsafePointer.value(natives[i++ & 1023]) - address);
});

// ── C calling a callback of the lua_Alloc shape ─────────────────────────
// libffi's ffi_call is the C caller: it calls a function pointer with
// arguments from memory, as Lua would. Each row is an allocation of 64 bytes
// and its free: two calls from C.
import { CAllocator } from "../ffi/mod.ts";
import { Heap } from "../heap/mod.ts";
import { openLibrary } from "../tests/ffi/_libs.ts";
import { lua, LuaState, PROGRAMS } from "../tests/ffi/_lua.ts";
import { deflate, inflate, sampleText, zlib } from "../tests/ffi/_zlib.ts";

const libffi = openLibrary(["libffi.so.8", "libffi.so.7", "libffi.so"], {
  ffi_prep_cif: {
    parameters: ["pointer", "i32", "u32", "pointer", "pointer"],
    result: "i32",
  },
  ffi_call: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "void",
  },
});
const libc = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "usize" },
  calloc: { parameters: ["usize", "usize"], result: "usize" },
  realloc: { parameters: ["usize", "usize"], result: "usize" },
  free: { parameters: ["usize"], result: "void" },
});
const LUA_ALLOC = {
  parameters: ["usize", "usize", "usize", "usize"],
  result: "usize",
} as const;

/**
 * Calls `fn` (an `nargs`-argument C function of 64-bit integers returning
 * one) from C: set the arguments with `set(i, value)`, then `call()`.
 */
function fromC(fn: Deno.PointerObject, nargs: number) {
  // One native block: ffi_type uint64 (24 B), the cif (32 B), the argument
  // types, the argument values, pointers to them, and the result.
  const buffer = new ArrayBuffer(256);
  const u64 = new BigUint64Array(buffer), u32 = new Uint32Array(buffer);
  const u16 = new Uint16Array(buffer);
  const base = Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)!);
  const TYPE = 0, CIF = 32, TYPES = 64, VALUES = 128, ARGS = 192, RESULT = 248;
  u64[TYPE / 8] = 8n; // size
  u16[TYPE / 2 + 4] = 8; // alignment
  u16[TYPE / 2 + 5] = 11; // FFI_TYPE_UINT64
  for (let i = 0; i < nargs; i++) {
    u64[TYPES / 8 + i] = base + BigInt(TYPE);
    u64[ARGS / 8 + i] = base + BigInt(VALUES + 8 * i);
  }
  const at = (offset: number) =>
    Deno.UnsafePointer.create(base + BigInt(offset));
  const f = libffi.lib!.symbols;
  const status = f.ffi_prep_cif(at(CIF), 2, nargs, at(TYPE), at(TYPES)); // FFI_UNIX64
  if (status !== 0) throw new Error(`ffi_prep_cif: ${status}`);
  const cif = at(CIF), values = at(ARGS), result = at(RESULT);
  return {
    set(i: number, value: number) {
      u32[VALUES / 4 + 2 * i] = value >>> 0;
      u32[VALUES / 4 + 2 * i + 1] = (value / 2 ** 32) >>> 0;
    },
    /** The last result, as a number. */
    result(): number {
      return u32[RESULT / 4 + 1] * 2 ** 32 + u32[RESULT / 4];
    },
    call() {
      f.ffi_call(cif, fn, result, values);
    },
  };
}

/** A lua_Alloc-shaped pair from C: allocate 64 bytes, then free them. */
function luaPair(fn: Deno.PointerObject) {
  const c = fromC(fn, 4);
  return () => {
    c.set(1, 0); // ptr NULL
    c.set(2, 4); // osize: LUA_TSTRING
    c.set(3, 64);
    c.call();
    c.set(1, c.result());
    c.set(2, 64);
    c.set(3, 0);
    c.call();
  };
}

/** malloc(64) then free of the block, both from C. */
function mallocPair(malloc: Deno.PointerObject, free: Deno.PointerObject) {
  const m = fromC(malloc, 1), f = fromC(free, 1);
  return () => {
    m.set(0, 64);
    m.call();
    f.set(0, m.result());
    f.call();
  };
}

const empty = new Deno.UnsafeCallback(LUA_ALLOC, () => 0n);
const onLibc = new Deno.UnsafeCallback(LUA_ALLOC, (_ud, ptr, _osize, nsize) => {
  if (nsize === 0n) {
    libc.symbols.free(ptr);
    return 0n;
  }
  return libc.symbols.realloc(ptr, nsize);
});
const MALLOC = { parameters: ["usize"], result: "usize" } as const;
const FREE = { parameters: ["usize"], result: "void" } as const;
const emptyMalloc = new Deno.UnsafeCallback(MALLOC, () => 0n);
const emptyFree = new Deno.UnsafeCallback(FREE, () => {});
const libcMalloc = new Deno.UnsafeCallback(
  MALLOC,
  (n) => libc.symbols.malloc(n),
);
const libcFree = new Deno.UnsafeCallback(FREE, (p) => libc.symbols.free(p));
const heapPages = new OsPages({ reserve: 2 ** 30 });
const heap = new Heap({ pages: heapPages });
const bridge = new CAllocator(heap);
if (libffi.missing) {
  console.warn(`skipping the callback groups (no libffi): ${libffi.missing}`);
}
const c = libffi.missing ? undefined : {
  empty: luaPair(empty.pointer),
  bridge: luaPair(bridge.luaAlloc),
  libc: luaPair(onLibc.pointer),
  emptyMalloc: mallocPair(emptyMalloc.pointer, emptyFree.pointer),
  bridgeMalloc: mallocPair(bridge.malloc, bridge.free),
  libcMalloc: mallocPair(libcMalloc.pointer, libcFree.pointer),
};
const ignore = c === undefined;
const lua64 = "lua_Alloc from C: alloc 64 B, then free (2 calls)";
const malloc64 = "malloc(64) then free, from C (2 calls)";
const fromCRows: [string, string, keyof NonNullable<typeof c>][] = [
  [lua64, "empty callback, twice", "empty"],
  [lua64, "bridge.luaAlloc on a Heap", "bridge"],
  [lua64, "callback on libc realloc/free", "libc"],
  [malloc64, "empty callbacks", "emptyMalloc"],
  [malloc64, "bridge.malloc + bridge.free on a Heap", "bridgeMalloc"],
  [malloc64, "callbacks on libc malloc/free", "libcMalloc"],
];
for (const [group, name, row] of fromCRows) {
  const baseline = row === "empty" || row === "emptyMalloc";
  Deno.bench(name, { group, baseline, ignore }, () => c![row]());
}
Deno.bench("(JS floor) heap.alloc(64) + heap.free", { group: lua64 }, () => {
  heap.free(heap.alloc(64));
});
Deno.bench("(JS floor) libc malloc + free via FFI", { group: lua64 }, () => {
  libc.symbols.free(libc.symbols.malloc(64n));
});

// The side table the bridge keeps for allocators without usableSize: one
// block's set, get and delete, with 1000 others live.
import { SizeTable } from "../ffi/_size_table.ts";
const table = new SizeTable(), map = new Map<number, number>();
for (let k = 1; k <= 1000; k++) {
  table.set(k * 4096, k);
  map.set(k * 4096, k);
}
const sides = "side table: set, get, delete of one block";
Deno.bench("SizeTable (typed arrays)", { group: sides, baseline: true }, () => {
  const ptr = 16 + 16 * (i++ & 1023);
  table.set(ptr, 64);
  table.get(ptr);
  table.delete(ptr);
});
Deno.bench("Map", { group: sides }, () => {
  const ptr = 16 + 16 * (i++ & 1023);
  map.set(ptr, 64);
  map.get(ptr);
  map.delete(ptr);
});

// ── C libraries: the same work on the heap and on libc ──────────────────
// Each allocator is reached through a callback of the same kind, so the
// ratio is the allocator's, not Deno's callback cost.
const ZALLOC = {
  parameters: ["usize", "u32", "u32"],
  result: "usize",
} as const;
const ZFREE = { parameters: ["usize", "usize"], result: "void" } as const;
const libcZalloc = new Deno.UnsafeCallback(
  ZALLOC,
  (_o, items, size) => libc.symbols.calloc(BigInt(items), BigInt(size)),
);
const libcZfree = new Deno.UnsafeCallback(
  ZFREE,
  (_o, p) => libc.symbols.free(p),
);
const onLibcZ = { zalloc: libcZalloc.pointer, zfree: libcZfree.pointer };
const text = sampleText(2 ** 20);
const packed = zlib.missing ? undefined : deflate(text).output!;
const zgroup = "zlib: deflate + inflate 1 MiB";
Deno.bench("zlib on libc (callbacks)", {
  group: zgroup,
  baseline: true,
  ignore: !!zlib.missing,
}, () => {
  deflate(text, onLibcZ);
  inflate(packed!, text.length, onLibcZ);
});
Deno.bench(
  "zlib on a Heap (bridge)",
  { group: zgroup, ignore: !!zlib.missing },
  () => {
    deflate(text, bridge);
    inflate(packed!, text.length, bridge);
  },
);
const lgroup = "lua: a fresh state runs binary trees";
for (
  const [name, alloc, baseline] of [
    ["lua on libc (callback)", onLibc.pointer, true],
    ["lua on a Heap (bridge)", bridge.luaAlloc, false],
    ["lua on its own allocator (no callback)", undefined, false],
  ] as const
) {
  Deno.bench(name, { group: lgroup, baseline, ignore: !!lua.missing }, () => {
    using state = new LuaState(alloc);
    state.run(PROGRAMS["binary trees"]);
  });
}
