// Memory over a buffer whose length can change is refused (its views keep
// the length they were made with), and offsetOf takes the memory's end as
// pointer() gives it.
import assert from "node:assert/strict";
import { Memory, OsPages, WasmPages } from "../os/mod.ts";

const RESIZABLE =
  "Memory needs a fixed-length buffer: the views of a resizable ArrayBuffer (one made with maxByteLength, or a WebAssembly.Memory's after toResizableBuffer()) would not follow its resize; pass a fixed-length one (or use BufferPages, which allocates its reservation up front)";
const GROWABLE =
  "Memory needs a fixed-length buffer: the views of a growable SharedArrayBuffer (one made with maxByteLength, or a shared WebAssembly.Memory's after toResizableBuffer()) would not follow its growth; pass a fixed-length one (or use SharedPages, which allocates its reservation up front)";

type ToResizable = { toResizableBuffer(): ArrayBuffer | SharedArrayBuffer };

Deno.test("Memory: a resizable ArrayBuffer is refused", () => {
  const buffer = new ArrayBuffer(8192, { maxByteLength: 65536 });
  assert.throws(() => new Memory(buffer), new TypeError(RESIZABLE));
  // Resized to its maximum, it is still resizable.
  buffer.resize(65536);
  assert.throws(() => new Memory(buffer), new TypeError(RESIZABLE));
});

Deno.test("Memory: a growable SharedArrayBuffer is refused", () => {
  const buffer = new SharedArrayBuffer(8192, { maxByteLength: 65536 });
  assert.throws(
    () => new Memory(buffer as unknown as ArrayBuffer),
    new TypeError(GROWABLE),
  );
});

Deno.test("Memory: a WebAssembly.Memory's buffer after toResizableBuffer() is refused", () => {
  const wasm = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  const fixed = new Memory(wasm.buffer as ArrayBuffer); // before: a fixed-length buffer
  assert.equal(fixed.f64.length, 8192);
  (wasm as unknown as ToResizable).toResizableBuffer();
  assert.throws(
    () => new Memory(wasm.buffer as ArrayBuffer),
    new TypeError(RESIZABLE),
  );
  // WasmPages refuses it before growing it (it would have grown 1 -> 4
  // pages, then refused).
  assert.throws(
    () => new WasmPages({ memory: wasm, reserve: 2 ** 18 }),
    new TypeError(
      "This WebAssembly.Memory's buffer is resizable (toResizableBuffer() was called): WasmPages needs the fixed-length buffers memory.grow() gives, whose views it keeps; call toFixedLengthBuffer() on the memory first",
    ),
  );
  assert.equal(wasm.buffer.byteLength, 65536);
  // Made fixed again, it is taken (and grown to the reservation).
  (wasm as unknown as { toFixedLengthBuffer(): ArrayBuffer })
    .toFixedLengthBuffer();
  using pages = new WasmPages({ memory: wasm, reserve: 2 ** 18 });
  assert.equal(wasm.buffer.byteLength, 2 ** 18);
  assert.equal(pages.memory.f64.length, 2 ** 15);
  const shared = new WebAssembly.Memory({
    initial: 1,
    maximum: 4,
    shared: true,
  });
  (shared as unknown as ToResizable).toResizableBuffer();
  assert.throws(
    () => new Memory(shared.buffer as unknown as ArrayBuffer),
    new TypeError(GROWABLE),
  );
});

Deno.test("Memory: fixed-length buffers still work, every view over all of it", () => {
  const plain = new Memory(new ArrayBuffer(8192 + 7));
  assert.deepEqual(
    [plain.byteLength, plain.u8.length, plain.u16.length, plain.f32.length],
    [8199, 8199, 4099, 2049],
  );
  assert.deepEqual([plain.f64.length, plain.u64.length], [1024, 1024]);
  plain.f64[1023] = 1.5;
  assert.equal(plain.view(Float64Array, 8184, 1)[0], 1.5);
  const shared = new Memory(
    new SharedArrayBuffer(16384) as unknown as ArrayBuffer,
  );
  shared.u32[4095] = 7;
  assert.deepEqual([shared.f64.length, shared.bytes(16380, 4)[0]], [2048, 7]);
  assert.equal(shared.destroyed, false);
});

Deno.test("Memory: offsetOf takes the end of the memory, as pointer() gives it", () => {
  using pages = new OsPages({ reserve: 4 * 4096 });
  const m = pages.memory;
  assert.equal(m.byteLength, 16384);
  assert.equal(m.offsetOf(m.pointer(16384)), 16384);
  assert.equal(m.offsetOf(m.pointer(16383)), 16383);
  // What C returns for the end of a block that ends the memory: mempcpy.
  const libc = Deno.dlopen("libc.so.6", {
    mempcpy: { parameters: ["pointer", "buffer", "usize"], result: "pointer" },
  });
  try {
    const p = pages.alloc(3 * 4096);
    assert.equal(p, 4096);
    const end = libc.symbols.mempcpy(
      m.pointer(p),
      new Uint8Array(3 * 4096).fill(1),
      BigInt(3 * 4096),
    );
    assert.equal(m.offsetOf(end), 16384);
    assert.equal(m.u8[16383], 1);
  } finally {
    libc.close();
  }
  // One byte beyond is outside, with the message as before.
  const start = Number(m.address!);
  const past = Deno.UnsafePointer.create(m.address! + 16385n);
  assert.throws(
    () => m.offsetOf(past),
    new RangeError(
      `Native pointer 0x${
        (start + 16385).toString(16)
      } is not inside this memory (0x${start.toString(16)} (${start}) to 0x${
        (start + 16384).toString(16)
      } (${start + 16384}))`,
    ),
  );
  // Byte 0, the null page's address, is still none of its pointers.
  assert.throws(
    () => m.offsetOf(Deno.UnsafePointer.create(m.address!)),
    RangeError,
  );
});

Deno.test("Memory: offsetOf of the end of a destroyed memory throws DestroyedError", () => {
  const pages = new OsPages({ reserve: 4 * 4096 });
  const m = pages.memory;
  const end = m.pointer(m.byteLength);
  pages.destroy();
  assert.throws(() => m.offsetOf(end), { name: "DestroyedError" });
});
