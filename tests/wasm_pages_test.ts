// WasmPages: a heap in a real WebAssembly module's memory. The module
// (tests/wasm/records.wat, compiled here with wabt) reads and writes records
// that the JavaScript heap allocated; then the options and growth rules.
// The Allocator contract and every layer's tests run on WasmPages too
// (tests/_sources.ts).
import assert from "node:assert/strict";
import wabtInit from "wabt";
import { Heap } from "../heap/mod.ts";
import { DestroyedError, OutOfMemoryError, WasmPages } from "../os/mod.ts";

const K = 1024;
const WASM_PAGE = 64 * K;

interface Records {
  sum(p: number): number;
  bump(node: number, delta: number): number;
  squares(out: number, n: number): void;
}

const wat = await Deno.readTextFile(
  new URL("./wasm/records.wat", import.meta.url),
);
const wabt = await wabtInit();
// The same module for a shared memory: only its import says `shared`.
function compile(shared: boolean): Uint8Array<ArrayBuffer> {
  const text = shared
    ? wat.replace("(memory 1)", "(memory 1 256 shared)")
    : wat;
  const module = wabt.parseWat("records.wat", text, { threads: shared });
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
const binaries = [compile(false), compile(true)];

async function instantiate(memory: WebAssembly.Memory): Promise<Records> {
  const shared = memory.buffer instanceof SharedArrayBuffer;
  const module = await WebAssembly.compile(binaries[shared ? 1 : 0]);
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as Records;
}

// The module's own memory: one 64 KiB page, the heap's pages above it.
async function setup(options: { shared?: boolean } = {}) {
  const memory = new WebAssembly.Memory({
    initial: 1,
    maximum: 256,
    shared: options.shared,
  });
  const wasm = await instantiate(memory);
  const pages = new WasmPages({ memory, reserve: 4 * 1024 * K });
  const heap = new Heap({ pages });
  return { memory, wasm, pages, heap };
}

const greeting = (memory: WebAssembly.Memory) =>
  new TextDecoder().decode(new Uint8Array(memory.buffer, 16, 15).slice());

interface ModuleCase {
  name: string;
  /** Allocates records on the heap, calls the module, checks what it did. */
  run(env: Awaited<ReturnType<typeof setup>>): number[];
}

const moduleCases: ModuleCase[] = [
  {
    name: "the module sums a Points record the heap allocated",
    run: ({ heap, wasm }) => {
      const n = 100;
      const p = heap.alloc(8 + 8 * n);
      heap.memory.i32[p / 4] = n;
      for (let i = 0; i < n; i++) heap.memory.f64[p / 8 + 1 + i] = i + 0.5;
      assert.equal(wasm.sum(p), 4950 + 50);
      return [p, 8 + 8 * n];
    },
  },
  {
    name: "the module walks and updates a list of heap nodes",
    run: ({ heap, wasm }) => {
      const owned: number[] = [];
      let head = 0;
      for (let i = 0; i < 50; i++) {
        // A block of another size between nodes, so nodes are not adjacent.
        const filler = heap.alloc(24 + 40 * (i % 5));
        const node = heap.alloc(8);
        heap.memory.i32[node / 4] = head;
        heap.memory.i32[node / 4 + 1] = i;
        head = node;
        owned.push(filler, 24 + 40 * (i % 5), node, 8);
      }
      assert.equal(wasm.bump(head, 1000), 50);
      for (let node = head, i = 49; node !== 0; i--) {
        assert.equal(heap.memory.i32[node / 4 + 1], 1000 + i);
        node = heap.memory.i32[node / 4];
      }
      return owned;
    },
  },
  {
    name: "the module writes its output into a large block the heap allocated",
    run: ({ heap, wasm }) => {
      const n = 3000;
      const out = heap.alloc(4 * n);
      assert.equal(heap.inspect(out)?.kind, "large");
      wasm.squares(out, n);
      const view = heap.memory.view(Int32Array, out, n);
      assert.deepEqual(
        [view[0], view[1], view[2], view[n - 1]],
        [0, 1, 4, (n - 1) ** 2],
      );
      return [out, 4 * n];
    },
  },
];

for (const shared of [false, true]) {
  for (const c of moduleCases) {
    Deno.test(`WasmPages${shared ? ", shared memory" : ""}: ${c.name}`, async () => {
      const env = await setup({ shared });
      const { memory, pages, heap } = env;
      const buffer = memory.buffer;
      const owned = c.run(env);
      for (let i = 0; i < owned.length; i += 2) {
        assert.ok(owned[i] >= WASM_PAGE && owned[i] < 4 * 1024 * K);
      }
      // Nothing moved under the module, and its own data is intact.
      assert.equal(memory.buffer.byteLength, 4 * 1024 * K);
      if (!shared) assert.equal(memory.buffer, buffer);
      assert.equal(greeting(memory), "hello from wasm");
      for (let i = 0; i < owned.length; i += 2) {
        heap.free(owned[i], owned[i + 1]);
      }
      heap.validate();
      assert.equal(heap.bytesUsed, 0);
      heap.destroy();
      pages.destroy();
      assert.equal(greeting(memory), "hello from wasm");
    });
  }
}

Deno.test("WasmPages: the module keeps its memory after destroy, the heap refuses", async () => {
  const { memory, wasm, pages, heap } = await setup();
  const p = heap.alloc(64);
  pages.destroy();
  assert.throws(() => heap.alloc(16), DestroyedError);
  assert.throws(() => heap.free(p, 64), DestroyedError);
  assert.throws(() => pages.memory.bytes(p, 8), DestroyedError);
  wasm.squares(1024, 4); // the module's memory still works
  assert.deepEqual([...new Int32Array(memory.buffer, 1024, 4)], [0, 1, 4, 9]);
});

Deno.test("WasmPages: a shared memory may grow afterwards; the views stay", async () => {
  const { memory, heap } = await setup({ shared: true });
  const p = heap.alloc(16);
  memory.grow(4);
  assert.equal(memory.buffer.byteLength, 4 * 1024 * K + 4 * WASM_PAGE);
  heap.memory.f64[p / 8] = 7;
  assert.equal(new Float64Array(memory.buffer, p, 1)[0], 7);
  assert.notEqual(heap.alloc(16), p);
});

Deno.test("WasmPages: a memory the module grows afterwards is refused, nothing taken", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
  using pages = new WasmPages({ memory, reserve: 2 ** 20 });
  const p = pages.alloc(4096);
  const live = pages.liveBytes;
  memory.grow(1); // detaches the buffer the page source is built on
  const detached =
    /memory was detached \(a WebAssembly memory grown after WasmPages/;
  assert.throws(() => pages.alloc(4096), DestroyedError, "alloc");
  assert.throws(() => pages.alloc(4096), detached);
  assert.throws(() => pages.allocUnsafe(8192), detached);
  assert.throws(() => pages.free(p, 4096), detached);
  assert.equal(pages.liveBytes, live);
});

Deno.test("WasmPages: a heap on a memory the module grows afterwards refuses every call", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
  using pages = new WasmPages({ memory, reserve: 2 ** 20 });
  using heap = new Heap({ pages });
  const p = heap.alloc(64);
  heap.free(heap.alloc(64), 64); // a span with free chunks: the fast path
  memory.grow(1);
  const detached = /Heap's memory was detached \(a WebAssembly memory grown/;
  assert.throws(() => heap.alloc(64), DestroyedError);
  assert.throws(() => heap.alloc(64), detached);
  assert.throws(() => heap.allocUnsafe(16), detached);
  assert.throws(() => heap.free(p, 64), detached);
  assert.throws(() => heap.alloc(5000), detached);
  assert.throws(() => heap.validate(), detached);
});

interface OptionCase {
  name: string;
  memory?: () => WebAssembly.Memory;
  options: Record<string, unknown>;
  expect:
    | { base: number; reserved: number; memoryBytes: number; first: number }
    | { error: ErrorConstructor | typeof OutOfMemoryError; message: RegExp };
}

const optionCases: OptionCase[] = [
  {
    name: "a memory of its own: page 0 is null, the rest is pages",
    options: { reserve: 1024 * K },
    expect: {
      base: 4096,
      reserved: 1024 * K,
      memoryBytes: 1024 * K,
      first: 4096,
    },
  },
  {
    name: "a module's memory: everything it has is below the base",
    memory: () => new WebAssembly.Memory({ initial: 3, maximum: 100 }),
    options: { reserve: 1000 * K },
    expect: {
      base: 3 * WASM_PAGE,
      reserved: 1000 * K,
      memoryBytes: 16 * WASM_PAGE,
      first: 3 * WASM_PAGE,
    },
  },
  {
    name: "a base below the memory's size gives the module less",
    memory: () => new WebAssembly.Memory({ initial: 2 }),
    options: { base: 8192, reserve: 2 * WASM_PAGE },
    expect: {
      base: 8192,
      reserved: 2 * WASM_PAGE,
      memoryBytes: 2 * WASM_PAGE,
      first: 8192,
    },
  },
  {
    name: "a maximum too small for the reservation",
    memory: () => new WebAssembly.Memory({ initial: 1, maximum: 2 }),
    options: { reserve: 3 * WASM_PAGE },
    expect: {
      error: OutOfMemoryError,
      message:
        /^WebAssembly memory cannot grow to 196608 bytes for a reservation of 196608 \(.*\): reserve less, or give the memory a larger maximum$/,
    },
  },
  {
    name: "an empty memory given without a base: page 0 stays null",
    memory: () => new WebAssembly.Memory({ initial: 0, maximum: 100 }),
    options: { reserve: 1024 * K },
    expect: {
      base: 4096,
      reserved: 1024 * K,
      memoryBytes: 1024 * K,
      first: 4096,
    },
  },
  {
    name: "base 0, which would hand out the null pointer",
    options: { base: 0, reserve: 1024 * K },
    expect: {
      error: RangeError,
      message:
        /^Base 0 would hand out the null pointer \(address 0\) as the first run: pass a base of 4096 or more, or none for the default$/,
    },
  },
  {
    name: "base 0 in a module's memory",
    memory: () => new WebAssembly.Memory({ initial: 1, maximum: 100 }),
    options: { base: 0, reserve: 1024 * K },
    expect: { error: RangeError, message: /^Base 0 would hand out the null/ },
  },
  {
    name: "an unaligned base",
    options: { base: 5000 },
    expect: {
      error: RangeError,
      message: /^Base must be a non-zero multiple of 4096, got 5000$/,
    },
  },
  {
    name: "a reservation that does not reach past the base",
    memory: () => new WebAssembly.Memory({ initial: 2 }),
    options: { reserve: 2 * WASM_PAGE },
    expect: {
      error: RangeError,
      message: /^Reservation 131072 must reach past the base 131072/,
    },
  },
  {
    name: "not a WebAssembly.Memory",
    options: { memory: new ArrayBuffer(65536) },
    expect: {
      error: TypeError,
      message: /^Memory must be a WebAssembly.Memory$/,
    },
  },
  {
    name:
      "a look-alike with a buffer and grow (what the type admits without the DOM lib)",
    options: { memory: { buffer: new ArrayBuffer(65536), grow: () => 1 } },
    expect: {
      error: TypeError,
      message: /^Memory must be a WebAssembly.Memory$/,
    },
  },
];

for (const c of optionCases) {
  Deno.test(`WasmPages options: ${c.name}`, () => {
    const memory = c.memory?.();
    const before = memory?.buffer.byteLength;
    const make = () =>
      new WasmPages({ ...(memory ? { memory } : {}), ...c.options });
    const expect = c.expect;
    if ("error" in expect) {
      assert.throws(make, (e: unknown) => {
        assert.ok(e instanceof expect.error, String(e));
        assert.match((e as Error).message, expect.message);
        return true;
      });
      assert.equal(memory?.buffer.byteLength, before); // not grown
      return;
    }
    using pages = make();
    assert.equal(pages.base, expect.base);
    assert.equal(pages.reservedBytes, expect.reserved);
    assert.equal(pages.wasmMemory.buffer.byteLength, expect.memoryBytes);
    assert.equal(pages.alloc(1), expect.first);
    assert.equal(pages.committedBytes, 4096);
    // The last page of the reservation is handed out; nothing past it.
    const rest = expect.reserved - expect.first - 4096;
    assert.equal(pages.alloc(rest), expect.first + 4096);
    assert.throws(() => pages.alloc(1), OutOfMemoryError);
    // Below the base is the module's: not a pointer of this source.
    if (expect.base > 4096) {
      assert.throws(
        () => pages.free(expect.base - 4096, 4096),
        /outside this page source's range/,
      );
    }
  });
}
