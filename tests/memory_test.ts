// Memory helpers as data: each case runs one helper on a fresh 16-page source
// with two prepared allocations `a` and `b` (a = 0x1000, b = 0x2000, 4096
// bytes each; a holds bytes 0, 1, 2, …) and states the result, or the error
// it must throw without changing a byte.
import assert from "node:assert/strict";
import { DestroyedError, Memory, OsPages } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";

const A = 0x1000;
const B = 0x2000;
const END = 16 * 4096;

interface Case {
  name: string;
  run: (m: Memory) => unknown;
  /** The value `run` returns, compared with deepEqual. */
  returns?: unknown;
  /** Bytes expected afterwards: [ptr, bytes]. */
  bytes?: [number, number[]];
  /** The error `run` throws: class and message. */
  throws?: [ErrorConstructor, RegExp];
}

const cases: Case[] = [
  {
    name: "bytes is a view of the same bytes",
    run: (m) => [...m.bytes(A + 1, 3)],
    returns: [1, 2, 3],
  },
  {
    name: "bytes of length 0 at the end is fine",
    run: (m) => m.bytes(END, 0).length,
    returns: 0,
  },
  {
    name: "writes through bytes land in memory",
    run: (m) => m.bytes(B, 2).set([9, 8]),
    bytes: [B, [9, 8, 0]],
  },
  {
    name: "view makes a typed view of whole elements",
    run: (m) => [...m.view(Uint16Array, A, 2)],
    returns: [0x0100, 0x0302],
  },
  {
    name: "view writes are visible through the whole-range views",
    run: (m) => {
      m.view(Float64Array, B, 2)[1] = 2.5;
      return m.f64[B / 8 + 1];
    },
    returns: 2.5,
  },
  {
    name: "view of a misaligned pointer throws",
    run: (m) => m.view(Float64Array, A + 4, 1),
    throws: [
      RangeError,
      /Pointer 0x1004 \(4100\) is not aligned to 8 bytes, as a Float64Array needs/,
    ],
  },
  {
    name: "view past the end throws",
    run: (m) => m.view(Uint32Array, END - 8, 3),
    throws: [
      RangeError,
      /The 12 bytes at 0xfff8 \(65528\) are outside the memory \(65536 bytes\)/,
    ],
  },
  {
    name: "view of a fractional element count throws",
    run: (m) => m.view(Float64Array, A, 1.5),
    throws: [
      RangeError,
      /Element count must be a non-negative integer, got 1.5/,
    ],
  },
  {
    name: "bytes of null throws",
    run: (m) => m.bytes(0, 1),
    throws: [RangeError, /Pointer is null/],
  },
  {
    name: "bytes of a negative pointer throws",
    run: (m) => m.bytes(-1, 1),
    throws: [RangeError, /Pointer must be a non-negative integer, got -1/],
  },
  {
    name: "bytes of a fractional pointer throws",
    run: (m) => m.bytes(A + 0.5, 1),
    throws: [RangeError, /Pointer must be a non-negative integer, got 4096.5/],
  },
  {
    name: "bytes of a NaN length throws",
    run: (m) => m.bytes(A, NaN),
    throws: [RangeError, /Length must be a non-negative integer, got NaN/],
  },
  {
    name: "bytes of an Infinity length throws",
    run: (m) => m.bytes(A, Infinity),
    throws: [RangeError, /Length must be a non-negative integer, got Infinity/],
  },
  {
    name: "bytes past the end throws",
    run: (m) => m.bytes(END - 1, 2),
    throws: [
      RangeError,
      /The 2 bytes at 0xffff \(65535\) are outside the memory/,
    ],
  },
  {
    name: "bytes far past the end throws (never reaches native code)",
    run: (m) => m.bytes(2 ** 52, 1),
    throws: [RangeError, /outside the memory/],
  },
  {
    name: "copy copies",
    run: (m) => m.copy(B, A + 4, 3),
    bytes: [B, [4, 5, 6, 0]],
  },
  {
    name: "copy between exactly adjacent ranges is allowed",
    run: (m) => m.copy(A + 4, A, 4),
    bytes: [A, [0, 1, 2, 3, 0, 1, 2, 3, 8]],
  },
  {
    name: "copy of overlapping ranges throws",
    run: (m) => m.copy(A + 2, A, 4),
    throws: [
      RangeError,
      /The 4 bytes at 0x1002 \(4098\) and at 0x1000 \(4096\) overlap: use move\(\)/,
    ],
  },
  {
    name: "copy past the end throws before copying",
    run: (m) => m.copy(B, END - 2, 4),
    throws: [RangeError, /outside the memory/],
    bytes: [B, [0, 0, 0, 0]],
  },
  {
    name: "move forward over itself",
    run: (m) => m.move(A + 2, A, 4),
    bytes: [A, [0, 1, 0, 1, 2, 3, 6]],
  },
  {
    name: "move backward over itself",
    run: (m) => m.move(A, A + 2, 4),
    bytes: [A, [2, 3, 4, 5, 4, 5, 6]],
  },
  {
    name: "fill sets bytes",
    run: (m) => m.fill(B + 1, 2, 0xee),
    bytes: [B, [0, 0xee, 0xee, 0]],
  },
  {
    name: "fill of a short unaligned range (word stores) stops at its ends",
    run: (m) => m.fill(A + 3, 13, 0x7f),
    bytes: [A + 2, [2, ...Array(13).fill(0x7f), 16]],
  },
  {
    name: "fill of a long range (one fill call) stops at its ends",
    run: (m) => m.fill(B + 1, 200, 0xab),
    bytes: [B, [0, ...Array(200).fill(0xab), 0]],
  },
  {
    name: "zero of a short unaligned range",
    run: (m) => m.zero(A + 5, 6),
    bytes: [A + 4, [4, 0, 0, 0, 0, 0, 0, 11]],
  },
  {
    name: "fill with a value over 255 throws",
    run: (m) => m.fill(B, 2, 256),
    throws: [RangeError, /Byte value must be an integer 0 to 255, got 256/],
    bytes: [B, [0, 0]],
  },
  {
    name: "zero clears bytes",
    run: (m) => m.zero(A + 1, 2),
    bytes: [A, [0, 0, 0, 3]],
  },
  {
    name: "equal of equal ranges",
    run: (m) => m.equal(A + 256, A, 16),
    returns: true,
  },
  {
    name: "equal of different ranges",
    run: (m) => m.equal(A, B, 4),
    returns: false,
  },
  { name: "equal of length 0", run: (m) => m.equal(A, B, 0), returns: true },
  {
    name: "equal past the end throws",
    run: (m) => m.equal(A, END - 1, 4),
    throws: [RangeError, /outside the memory/],
  },
  { name: "pointer of null is null", run: (m) => m.pointer(0), returns: null },
];

for (const source of sources) {
  Deno.test(`${source.name}: Memory helpers`, async (t) => {
    for (const c of cases) {
      await t.step(c.name, () => {
        using pages = source.make({ reserve: END });
        const m = pages.memory;
        assert.equal(pages.alloc(4096), A);
        assert.equal(pages.alloc(4096), B);
        for (let i = 0; i < 4096; i++) m.u8[A + i] = i & 255;
        if (c.throws) {
          const [error, message] = c.throws;
          const bytes = { state: () => m.u8.slice(A, END) };
          assertRefusedUnchanged(bytes, () => c.run(m), { error, message });
        } else {
          const result = c.run(m);
          if ("returns" in c) assert.deepEqual(result, c.returns);
        }
        if (c.bytes) {
          const [ptr, expected] = c.bytes;
          assert.deepEqual(
            [...m.u8.subarray(ptr, ptr + expected.length)],
            expected,
          );
        }
      });
    }
  });
}

Deno.test("BufferPages memory has no native pointers", () => {
  using pages = sources[1].make({ reserve: END });
  assert.equal(pages.memory.native, false);
  assert.equal(pages.memory.address, null);
  assert.throws(
    () => pages.memory.pointer(A),
    (e: Error) =>
      e instanceof TypeError &&
      /only OsPages memory has pointers for FFI \(it needs --allow-ffi; without it new Heap\(\) and defaultPages\(\) fall back to BufferPages\)$/
        .test(e.message),
  );
});

Deno.test("OsPages memory: native pointers round-trip and work in C", async (t) => {
  using pages = new OsPages({ reserve: 2 ** 20 });
  const m = pages.memory;
  const libc = Deno.dlopen("libc.so.6", {
    memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
    strlen: { parameters: ["pointer"], result: "usize" },
  });
  try {
    const p = pages.alloc(64);
    await t.step("pointer is the address plus the offset", () => {
      assert.equal(m.native, true);
      assert.equal(m.address! % 4096n, 0n);
      assert.equal(
        Deno.UnsafePointer.value(m.pointer(p)),
        m.address! + BigInt(p),
      );
      assert.equal(m.offsetOf(m.pointer(p + 7)), p + 7);
      assert.equal(m.offsetOf(null), 0);
    });
    await t.step("C writes are visible to JS, JS writes to C", () => {
      libc.symbols.memset(m.pointer(p + 8), 0x41, 5n);
      assert.deepEqual([...m.bytes(p + 7, 7)], [0, 65, 65, 65, 65, 65, 0]);
      assert.equal(libc.symbols.strlen(m.pointer(p + 8)), 5n);
    });
    await t.step("offsetOf at the ends of the memory", () => {
      const at = (offset: number) =>
        Deno.UnsafePointer.create(m.address! + BigInt(offset));
      // Byte 0 is the null page: its address is no pointer of this memory.
      assert.throws(() => m.offsetOf(at(0)), /is not inside this memory/);
      assert.equal(m.offsetOf(at(1)), 1);
      assert.equal(m.offsetOf(at(m.byteLength - 1)), m.byteLength - 1);
      // The end, one past the last byte, as pointer(byteLength) gives it.
      assert.equal(m.offsetOf(at(m.byteLength)), m.byteLength);
      assert.throws(
        () => m.offsetOf(at(m.byteLength + 1)),
        /is not inside this memory/,
      );
    });
    await t.step("offsetOf checks the high half of the address too", () => {
      // Same low 32 bits as a pointer inside, 4 GiB further on.
      const far = Deno.UnsafePointer.create(m.address! + BigInt(p) + 2n ** 32n);
      assert.throws(
        () => m.offsetOf(far),
        new RegExp(
          `Native pointer 0x${
            (m.address! + BigInt(p) + 2n ** 32n).toString(16)
          } is not inside this memory`,
        ),
      );
      const below = Deno.UnsafePointer.create(m.address! - 16n);
      assert.throws(() => m.offsetOf(below), /is not inside this memory/);
      assert.equal(m.offsetOf(m.pointer(m.byteLength - 1)), m.byteLength - 1);
    });
    await t.step(
      "offsetOf names an address outside exactly, however large",
      () => {
        const start = Number(m.address!), end = start + m.byteLength;
        const range = `(0x${start.toString(16)} (${start}) to 0x${
          end.toString(16)
        } (${end}))`;
        for (
          const [address, shown] of [
            [2n ** 64n - 1n, "ffffffffffffffff"],
            [2n ** 63n, "8000000000000000"],
            [2n ** 53n + 1n, "20000000000001"],
            [2n ** 32n, "100000000"],
            [2n ** 32n + 0xabcn, "100000abc"],
            [5n, "5"],
          ] as const
        ) {
          assert.throws(
            () => m.offsetOf(Deno.UnsafePointer.create(address)),
            new RangeError(
              `Native pointer 0x${shown} is not inside this memory ${range}`,
            ),
          );
        }
      },
    );
    await t.step("offsetOf of something that is no pointer throws", () => {
      for (const bad of [4096, "0x1000", {}, 4096n, undefined]) {
        assert.throws(
          () => m.offsetOf(bad as never),
          new TypeError(
            `Native pointer must be a Deno.PointerValue (a pointer object, or null) as FFI returns it, got ${
              bad === undefined ? "undefined" : typeof bad
            }: make one with memory.pointer()`,
          ),
        );
      }
    });
    await t.step("offsetOf of a pointer elsewhere throws", () => {
      const elsewhere = Deno.UnsafePointer.of(new Uint8Array(8));
      assert.throws(() => m.offsetOf(elsewhere), /is not inside this memory/);
    });
  } finally {
    libc.close();
  }
});

Deno.test("a native address must give a user-space range", () => {
  const buffer = new ArrayBuffer(8192);
  for (const address of [0n, -4096n, 2n ** 53n - 4096n, 2n ** 64n - 4096n]) {
    assert.throws(
      () => new Memory(buffer, { address }),
      new RangeError(
        `Native address must be above 0 and the memory must end below 2^53 (a user-space range), got 0x${
          address.toString(16)
        }`,
      ),
    );
  }
  const m = new Memory(buffer, { address: 2n ** 53n - 8192n });
  assert.equal(m.native, true);
});

Deno.test("views of destroyed memory throw DestroyedError", () => {
  const pages = sources[0].make({ reserve: END });
  const m = pages.memory;
  pages.destroy();
  assert.throws(() => m.view(Float64Array, A, 1), DestroyedError);
  assert.throws(() => m.pointer(A), DestroyedError);
});

Deno.test("pointer and offsetOf of destroyed native memory throw DestroyedError", () => {
  const pages = new OsPages({ reserve: END });
  const m = pages.memory;
  const ptr = m.pointer(A);
  pages.destroy();
  assert.throws(() => m.pointer(A), DestroyedError);
  assert.throws(() => m.offsetOf(ptr), DestroyedError);
  assert.throws(() => m.offsetOf(null), DestroyedError);
});

// Every whole-range view: its length in elements, and the same bytes read at
// every width (little-endian), one table per width.
const VIEWS: [name: keyof Memory, bytes: number, read: number | bigint][] = [
  ["u8", 1, 0xfe],
  ["i8", 1, -2],
  ["u16", 2, 0xfdfe],
  ["i16", 2, -514],
  ["u32", 4, 0xfbfcfdfe],
  ["i32", 4, -67305986],
  ["f32", 4, new Float32Array(new Uint32Array([0xfbfcfdfe]).buffer)[0]],
  [
    "f64",
    8,
    new Float64Array(new BigUint64Array([0xf7f8f9fafbfcfdfen]).buffer)[0],
  ],
  ["u64", 8, 0xf7f8f9fafbfcfdfen],
  ["i64", 8, -0x0807060504030202n],
];

for (const source of sources) {
  Deno.test(`${source.name}: every whole-range view covers the range and aliases its bytes`, () => {
    using pages = source.make({ reserve: 16 * 4096 });
    const memory = pages.memory, p = pages.alloc(4096);
    for (let i = 0; i < 8; i++) memory.u8[p + i] = 0xfe - i;
    for (const [name, bytes, read] of VIEWS) {
      const view = memory[name] as ArrayLike<number | bigint>;
      assert.equal(view.length, Math.floor(memory.byteLength / bytes), name);
      assert.equal(view[p / bytes], read, name);
    }
  });
}
