// Arrays of records: at(i) moves one cursor to record i, size bytes
// apart, whatever the layout (natural, packed at an odd address, nested,
// with arrays); every refused construction and index throws a specific
// error and changes no byte.
import assert from "node:assert/strict";
import {
  BufferPages,
  DestroyedError,
  type Memory,
  OsPages,
  PointerError,
  WasmPages,
} from "../os/mod.ts";
import { defineRecord, type RecordArray } from "../record/mod.ts";
import { assertRefusedUnchanged, type Refusal } from "./_assert_refused.ts";
import { Particle } from "./_records.ts";

Deno.test("record array: at(i) is record i, size bytes apart", () => {
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const base = pages.alloc(4096);
  const ps = Particle.array(pages.memory, base, 3);
  assert.deepEqual([ps.ptr, ps.length, ps.end, ps.layout, ps.memory], [
    base,
    3,
    base + 120,
    Particle,
    pages.memory,
  ]);
  for (let i = 0; i < ps.length; i++) {
    const p = ps.at(i);
    p.x = i + 0.5;
    p.vy = -i;
    p.id = 100 + i;
  }
  const { f64, u32 } = pages.memory;
  for (let i = 0; i < 3; i++) {
    const at = base + 40 * i;
    assert.equal(ps.at(i).ptr, at);
    assert.equal(f64[at / 8], i + 0.5);
    assert.equal(f64[at / 8 + 3], -i);
    assert.equal(u32[(at + 32) / 4], 100 + i);
    assert.equal(u32[(at + 36) / 4], 0); // the padding is left alone
  }
  assert.equal(ps.at(2).id, 102);
  // A cursor stepped by the size from ptr to end visits the same records.
  const c = Particle.cursor(pages.memory);
  const seen = [];
  for (c.ptr = ps.ptr; c.ptr < ps.end; c.ptr += Particle.size) {
    seen.push([c.ptr, c.x, c.id]);
  }
  assert.deepEqual(seen, [
    [base, 0.5, 100],
    [base + 40, 1.5, 101],
    [base + 80, 2.5, 102],
  ]);
  assert.equal(ps.at(0), ps.at(1)); // one cursor, moved
  assert.equal(u32[(base + 120) / 4], 0); // nothing past record 2
});

Deno.test("record array: packed records at an odd address, nested and arrays", () => {
  const Vec2 = defineRecord("Vec2", { x: "f32", y: "f32" });
  const Packed = defineRecord("Packed", {
    tag: "u8",
    pos: Vec2,
    ids: { type: "u16", length: 2 },
  }, { packed: true });
  assert.equal(Packed.size, 13);
  using pages = new BufferPages({ reserve: 2 ** 20 });
  const base = pages.alloc(4096) + 1;
  const rs = Packed.array(pages.memory, base, 2);
  for (let i = 0; i < 2; i++) {
    const r = rs.at(i);
    r.tag = 0xa0 + i;
    r.pos.y = 1.5 + i;
    r.ids.set(1, 0x1234 + i);
  }
  const dv = new DataView(pages.memory.buffer);
  for (let i = 0; i < 2; i++) {
    const at = base + 13 * i;
    assert.equal(dv.getUint8(at), 0xa0 + i);
    assert.equal(dv.getFloat32(at + 5, true), 1.5 + i);
    assert.equal(dv.getUint16(at + 11, true), 0x1234 + i);
    assert.equal(rs.at(i).pos.y, 1.5 + i);
  }
  assert.deepEqual(
    [...pages.memory.u8.subarray(base + 26, base + 32)],
    [0, 0, 0, 0, 0, 0],
  );
});

Deno.test("record array: an empty array and one that ends at the memory's end", () => {
  using pages = new BufferPages({ reserve: 2 ** 16 });
  const end = pages.memory.buffer.byteLength;
  const empty = Particle.array(pages.memory, end, 0);
  assert.deepEqual([empty.length, empty.ptr, empty.end], [0, end, end]);
  const last = Particle.array(pages.memory, end - 40, 1);
  assert.equal(last.at(0).ptr, end - 40);
  assert.throws(
    () => Particle.array(pages.memory, end, 0).at(0),
    /^RangeError: Index 0 is out of range for an array of 0 records$/,
  );
});

const refused: Array<
  [string, (memory: Memory, base: number) => unknown, Refusal]
> = [
  [
    "an unaligned pointer",
    (m, base) => Particle.array(m, base + 4, 2),
    {
      error: PointerError,
      reason: "unaligned",
      message: /not a multiple of 8, the alignment of record Particle/,
    },
  ],
  [
    "a negative pointer",
    (m) => Particle.array(m, -8, 1),
    { error: PointerError, reason: "out-of-range", message: /Pointer -8/ },
  ],
  [
    "a fractional pointer",
    (m) => Particle.array(m, 8.5, 1),
    { error: PointerError, reason: "out-of-range", message: /Pointer 8.5/ },
  ],
  [
    "a pointer that is no number",
    (m) => Particle.array(m, "8" as unknown as number, 1),
    { error: TypeError, message: /Pointer must be a number, got string/ },
  ],
  // Page 0 is no allocation's: the records were written into it.
  [
    "the null pointer",
    (m) => Particle.array(m, 0, 1),
    {
      error: RangeError,
      message:
        /^Pointer is null \(0\): an array of Particle records needs the address of a block an allocator returned$/,
    },
  ],
  [
    "a negative length",
    (m, base) => Particle.array(m, base, -1),
    { error: RangeError, message: /Length must be a non-negative integer/ },
  ],
  [
    "a fractional length",
    (m, base) => Particle.array(m, base, 1.5),
    { error: RangeError, message: /got 1.5/ },
  ],
  [
    "records past the memory's end",
    (m) => Particle.array(m, m.buffer.byteLength - 40, 2),
    {
      error: RangeError,
      message:
        /^An array of 2 Particle records \(40 bytes each\) at 0xffd8 \(65496\) ends at 65576, past the memory's 65536 bytes/,
    },
  ],
  [
    "no Memory",
    () => Particle.array({} as Memory, 0, 1),
    { error: TypeError, message: /needs a Memory .*, got object/ },
  ],
  ...[-1, 2, 0.5, NaN, 2 ** 32].map((i): [
    string,
    (memory: Memory, base: number) => unknown,
    Refusal,
  ] => [
    `index ${i}`,
    (m, base) => Particle.array(m, base, 2).at(i),
    {
      error: RangeError,
      message: new RegExp(
        `^Index ${i} is out of range for an array of 2 records \\(0 to 1\\)$`,
      ),
    },
  ]),
  [
    "a number for an i64 field",
    (m, base) => {
      const Entry = defineRecord("Entry", { id: "i64", weight: "f64" });
      Entry.array(m, base, 2).at(1).id = 5 as unknown as bigint;
    },
    {
      error: TypeError,
      message:
        /^Field Entry\.id \(i64\) must be a bigint, such as 5n or BigInt\(x\), got the number 5$/,
    },
  ],
  [
    "a string for an f64 field",
    (m, base) => {
      const Entry = defineRecord("Entry", { id: "i64", weight: "f64" });
      Entry.array(m, base, 2).at(1).weight = "x" as unknown as number;
    },
    {
      error: TypeError,
      message:
        /^Field Entry\.weight \(f64\) must be a number, got the string "x"$/,
    },
  ],
  ...(["0", 1n, null, Symbol("i")] as unknown[]).map((i): [
    string,
    (memory: Memory, base: number) => unknown,
    Refusal,
  ] => [
    `index of type ${i === null ? "null" : typeof i}`,
    (m, base) => Particle.array(m, base, 2).at(i as number),
    {
      error: TypeError,
      message: new RegExp(
        `^Index must be a number, got ${i === null ? "null" : typeof i}$`,
      ),
    },
  ]),
];

Deno.test("record array refuses bad input, changing nothing", async (t) => {
  for (const [name, call, refusal] of refused) {
    await t.step(name, () => {
      using pages = new BufferPages({ reserve: 2 ** 16 });
      const base = pages.alloc(4096);
      pages.memory.u8.fill(7, base, base + 4096);
      const bytes = () => [...pages.memory.u8];
      assertRefusedUnchanged(
        { state: bytes },
        () => call(pages.memory, base),
        refusal,
      );
    });
  }
});

// A destroyed memory was taken: a WasmPages one's records were written into
// the module's memory, and a BufferPages one's were refused as "past the
// memory's 0 bytes".
Deno.test("record array: a destroyed memory is a DestroyedError", async (t) => {
  for (const Source of [BufferPages, OsPages, WasmPages]) {
    await t.step(Source.name, () => {
      const pages = new Source({ reserve: 2 ** 20 });
      const memory = pages.memory, base = pages.alloc(4096);
      pages.destroy();
      // (Empty for a detached buffer; a WasmPages memory stays its module's.)
      const bytes = () =>
        memory.u8.length === 0 ? "" : memory.u8.slice(base, base + 4096).join();
      const before = bytes();
      for (const length of [0, 2]) {
        assert.throws(
          () => Particle.array(memory, base, length),
          (e: unknown) => {
            assert.ok(e instanceof DestroyedError, `got ${e}`);
            assert.equal(
              e.message,
              "Memory was used after its page source was destroyed: make a new page source",
            );
            return true;
          },
        );
      }
      assert.deepEqual(bytes(), before);
    });
  }
});

Deno.test("record array: the null pointer holds no records, but an empty array may start there", () => {
  using pages = new BufferPages({ reserve: 2 ** 16 });
  const empty = Particle.array(pages.memory, 0, 0);
  assert.deepEqual([empty.ptr, empty.length, empty.end], [0, 0, 0]);
});

Deno.test("record array: its type follows the layout's fields", () => {
  using pages = new BufferPages({ reserve: 2 ** 16 });
  const ps: RecordArray<typeof Particle.fieldTypes> = Particle.array(
    pages.memory,
    pages.alloc(4096),
    1,
  );
  const p = ps.at(0);
  p.id = 4;
  assert.equal(ps.at(0).id, 4);
  // Checked when the test is type-checked, never run.
  const _typed = (c: typeof p) => {
    // @ts-expect-error: a Particle has no field z
    c.z = 1;
  };
});

Deno.test("record array: a length past 2^53 is refused as a length", () => {
  using pages = new BufferPages({ reserve: 2 ** 16 });
  assert.throws(
    () => Particle.array(pages.memory, pages.alloc(4096), 2 ** 53),
    /^RangeError: Length must be a non-negative integer, got 9007199254740992$/,
  );
});

Deno.test("record array: an index at 2^32 and above in a larger memory", () => {
  const B = defineRecord("B", { v: "u8" });
  using pages = new OsPages({ reserve: 2 ** 33 });
  const n = 2 ** 32 + 16;
  const base = pages.alloc(n + 4096);
  const array = B.array(pages.memory, base, n);
  const ptrs = [2 ** 32 - 1, 2 ** 32, n - 1].map((i) => array.at(i).ptr - base);
  assert.deepEqual(ptrs, [2 ** 32 - 1, 2 ** 32, n - 1]);
  assert.throws(
    () => array.at(n),
    new RegExp(
      `^RangeError: Index ${n} is out of range for an array of ${n} records \\(0 to ${
        n - 1
      }\\)$`,
    ),
  );
  assert.throws(
    () => array.at(2 ** 32 + 0.5),
    /^RangeError: Index 4294967296.5 is out/,
  );
});

// The readonly fields were writable: length = 1e6 on an array of 3 let
// at(200000) reach a record far past it.
Deno.test("record array: length, ptr and end cannot be written over", () => {
  using pages = new BufferPages({ reserve: 2 ** 16 });
  const base = pages.alloc(4096);
  const ps = Particle.array(pages.memory, base, 3);
  const writable = ps as unknown as Record<string, unknown>;
  for (const [key, value] of [["length", 1e6], ["ptr", 0], ["end", 2 ** 20]]) {
    assert.throws(
      () => writable[key] = value,
      new RegExp(
        `^TypeError: Cannot assign to read only property '${key}' of object`,
      ),
    );
  }
  assert.deepEqual([ps.length, ps.ptr, ps.end], [3, base, base + 120]);
  assert.throws(() => ps.at(3), /^RangeError: Index 3 is out of range/);
  assert.throws(() => ps.at(200000), /^RangeError: Index 200000 is out/);
});
