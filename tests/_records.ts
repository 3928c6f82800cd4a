// The record definitions the layout tests share: each with the size,
// alignment and offsets C gives it (checked against gcc by
// record_c_test.ts), covering padding, trailing padding, every scalar,
// arrays, nesting, packed and explicit alignment.
import { defineRecord, type RecordLayout } from "../record/mod.ts";
import { Particle } from "../bench/_particle.ts";

export { Particle };

/** A record and its layout as C computes it. */
export interface RecordCase {
  layout: RecordLayout;
  size: number;
  align: number;
  offsets: Record<string, number>;
}

const Vec2 = defineRecord("Vec2", { x: "f32", y: "f32" });
const Vec3d = defineRecord("Vec3d", { v: { type: "f64", length: 3 } });
const Tagged = defineRecord("Tagged", { tag: "u8", value: "f64" });
const Wide = defineRecord("Wide", { a: "u8" }, { align: 32 });
const Line = defineRecord("Line", { a: Vec2, b: Vec2, w: "u8" });
const Tight = defineRecord("Tight", { c: "u8", d: "f64" }, { packed: true });

/** One field of each scalar type, smallest first. */
export const ALL_SCALARS = {
  a: "i8",
  b: "u8",
  c: "i16",
  d: "u16",
  e: "i32",
  f: "u32",
  g: "i64",
  h: "u64",
  i: "f32",
  j: "f64",
  k: "usize",
} as const;

/** At least 20 records and what C makes of them. */
export const RECORD_CASES: RecordCase[] = [
  {
    layout: Particle,
    size: 40,
    align: 8,
    offsets: { x: 0, y: 8, vx: 16, vy: 24, id: 32 },
  },
  { layout: Vec2, size: 8, align: 4, offsets: { x: 0, y: 4 } },
  { layout: Vec3d, size: 24, align: 8, offsets: { v: 0 } },
  { layout: Tagged, size: 16, align: 8, offsets: { tag: 0, value: 8 } },
  { layout: Wide, size: 32, align: 32, offsets: { a: 0 } },
  { layout: Tight, size: 9, align: 1, offsets: { c: 0, d: 1 } },
  {
    layout: defineRecord("OneByte", { b: "i8" }),
    size: 1,
    align: 1,
    offsets: { b: 0 },
  },
  {
    layout: defineRecord("Shorts", { a: "u8", b: "i16", c: "u8" }),
    size: 6,
    align: 2,
    offsets: { a: 0, b: 2, c: 4 },
  },
  {
    layout: defineRecord("Mixed", { c: "u8", i: "i32", s: "u16", d: "f64" }),
    size: 24,
    align: 8,
    offsets: { c: 0, i: 4, s: 8, d: 16 },
  },
  {
    layout: defineRecord("AllScalars", ALL_SCALARS),
    size: 56,
    align: 8,
    offsets: {
      a: 0,
      b: 1,
      c: 2,
      d: 4,
      e: 8,
      f: 12,
      g: 16,
      h: 24,
      i: 32,
      j: 40,
      k: 48,
    },
  },
  {
    layout: defineRecord("Trailing", { d: "f64", c: "u8" }),
    size: 16,
    align: 8,
    offsets: { d: 0, c: 8 },
  },
  {
    layout: defineRecord("Bytes", { name: { type: "u8", length: 13 } }),
    size: 13,
    align: 1,
    offsets: { name: 0 },
  },
  {
    layout: defineRecord("ArrayPad", {
      n: "u8",
      v: { type: "u32", length: 3 },
      t: "u8",
    }),
    size: 20,
    align: 4,
    offsets: { n: 0, v: 4, t: 16 },
  },
  {
    layout: Line,
    size: 20,
    align: 4,
    offsets: { a: 0, b: 8, w: 16 },
  },
  {
    layout: defineRecord("Polygon", {
      count: "u16",
      points: { type: Vec2, length: 5 },
    }),
    size: 44,
    align: 4,
    offsets: { count: 0, points: 4 },
  },
  {
    layout: defineRecord("Outer", { c: "u8", t: Tagged, s: "i16" }),
    size: 32,
    align: 8,
    offsets: { c: 0, t: 8, s: 24 },
  },
  {
    layout: defineRecord("HoldsWide", { c: "u8", w: Wide, d: "f64" }),
    size: 96,
    align: 32,
    offsets: { c: 0, w: 32, d: 64 },
  },
  {
    layout: defineRecord(
      "PackedMix",
      { a: "u8", b: "u32", c: "u16", d: "f64" },
      {
        packed: true,
      },
    ),
    size: 15,
    align: 1,
    offsets: { a: 0, b: 1, c: 5, d: 7 },
  },
  {
    layout: defineRecord("PackedNest", { c: "u8", t: Tagged, w: Wide }, {
      packed: true,
    }),
    size: 49,
    align: 1,
    offsets: { c: 0, t: 1, w: 17 },
  },
  {
    layout: defineRecord("PackedAligned", { c: "u8", d: "f64" }, {
      packed: true,
      align: 4,
    }),
    size: 12,
    align: 4,
    offsets: { c: 0, d: 1 },
  },
  {
    layout: defineRecord("HoldsTight", { c: "u8", t: Tight, i: "i32" }),
    size: 16,
    align: 4,
    offsets: { c: 0, t: 1, i: 12 },
  },
  {
    layout: defineRecord("Aligned16", { a: "f32", b: "f32", c: "f32" }, {
      align: 16,
    }),
    size: 16,
    align: 16,
    offsets: { a: 0, b: 4, c: 8 },
  },
  {
    layout: defineRecord("Node", { left: "usize", right: "usize", key: "i32" }),
    size: 24,
    align: 8,
    offsets: { left: 0, right: 8, key: 16 },
  },
  {
    layout: defineRecord("Matrix", {
      m: { type: Vec3d, length: 3 },
      flags: "u8",
    }),
    size: 80,
    align: 8,
    offsets: { m: 0, flags: 72 },
  },
  {
    layout: defineRecord("Deep", {
      o: defineRecord("Mid", { l: Line }),
      z: "u8",
    }),
    size: 24,
    align: 4,
    offsets: { o: 0, z: 20 },
  },
];
