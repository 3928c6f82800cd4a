// Random record definitions (fast-check, fixed seed) against a model of
// C's layout rules written apart from the library: each field at the next
// multiple of its alignment (1 when packed), the record's alignment the
// largest field alignment or the `align` asked for, the size rounded up to
// it; an `align` below the fields' needs is refused. One seeded batch of
// the generated records also goes through gcc (see record_c_test.ts).
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  defineRecord,
  type FieldType,
  type RecordLayout,
  type ScalarType,
} from "../record/mod.ts";
import { cChecks, cCompiler, compile } from "./_c_compiler.ts";

const SCALARS: ScalarType[] = [
  ..."i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 usize".split(" ") as ScalarType[],
];
// A scalar's size (and alignment) from its name: its bits / 8; a pointer 8.
const sizeOf = (t: ScalarType) => t === "usize" ? 8 : Number(t.slice(1)) / 8;

// A record as plain data, which both the model and defineRecord read.
type Spec = { fields: FieldSpec[]; packed: boolean; align?: number };
type FieldSpec =
  | { kind: "scalar"; type: ScalarType }
  | { kind: "array"; of: ScalarType | Spec; length: number }
  | { kind: "record"; of: Spec };

interface Model {
  size: number;
  align: number;
  offsets: number[];
}

const up = (n: number, a: number) => Math.ceil(n / a) * a;

/** C's rules, or null where the alignment asked for is impossible. */
function model(spec: Spec): Model | null {
  let end = 0, natural = 1;
  const offsets: number[] = [];
  for (const f of spec.fields) {
    let size: number, align: number;
    if (f.kind === "scalar") size = align = sizeOf(f.type);
    else {
      const of = f.kind === "array" ? f.of : f.of;
      let one: { size: number; align: number } | null;
      if (typeof of === "string") one = { size: sizeOf(of), align: sizeOf(of) };
      else one = model(of);
      if (one === null) return null;
      size = one.size * (f.kind === "array" ? f.length : 1);
      align = one.align;
    }
    const a = spec.packed ? 1 : align;
    end = up(end, a);
    offsets.push(end);
    end += size;
    natural = Math.max(natural, a);
  }
  if (spec.align !== undefined && spec.align < natural) return null;
  const align = Math.max(natural, spec.align ?? 1);
  return { size: up(end, align), align, offsets };
}

let names = 0;
function define(spec: Spec): RecordLayout {
  const type = (of: ScalarType | Spec): ScalarType | RecordLayout =>
    typeof of === "string" ? of : define(of);
  const fields = spec.fields.map((f, i): [string, FieldType] => [
    `f${i}`,
    f.kind === "scalar"
      ? f.type
      : f.kind === "array"
      ? { type: type(f.of), length: f.length }
      : type(f.of),
  ]);
  return defineRecord(`R${names++}`, fields, {
    packed: spec.packed,
    ...(spec.align === undefined ? {} : { align: spec.align }),
  });
}

const scalar = fc.constantFrom(...SCALARS);
const alignOption = fc.option(fc.constantFrom(1, 2, 4, 8, 16, 32, 64), {
  nil: undefined,
});
const field0: fc.Arbitrary<FieldSpec> = fc.oneof(
  scalar.map((type) => ({ kind: "scalar" as const, type })),
  fc.record({
    kind: fc.constant("array" as const),
    of: scalar,
    length: fc.integer({ min: 1, max: 5 }),
  }),
);
const specOf = (depth: number): fc.Arbitrary<Spec> => {
  const field: fc.Arbitrary<FieldSpec> = depth === 0 ? field0 : fc.oneof(
    { weight: 4, arbitrary: field0 },
    {
      weight: 1,
      arbitrary: specOf(depth - 1).map((of) => ({
        kind: "record" as const,
        of,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("array" as const),
        of: specOf(depth - 1),
        length: fc.integer({ min: 1, max: 3 }),
      }),
    },
  );
  return fc.record(
    {
      fields: fc.array(field, { minLength: 1, maxLength: 7 }),
      packed: fc.boolean(),
      align: alignOption,
    },
    { requiredKeys: ["fields", "packed"] },
  );
};
const spec = specOf(2);

Deno.test("record layouts match a model of C's rules", () => {
  fc.assert(
    fc.property(spec, (s) => {
      const want = model(s);
      if (want === null) {
        assert.throws(() => define(s), RangeError);
        return;
      }
      const r = define(s);
      assert.equal(r.size, want.size);
      assert.equal(r.align, want.align);
      assert.deepEqual(r.fields.map((f) => f.offset), want.offsets);
    }),
    { seed: 19, numRuns: 2000 },
  );
});

const compiler = cCompiler();

Deno.test({
  name: `60 random records agree with ${compiler ?? "C"}`,
  ignore: compiler === null,
  fn: async () => {
    const layouts = fc.sample(spec, { seed: 1919, numRuns: 200 })
      .filter((s) => model(s) !== null)
      .slice(0, 60)
      .map(define);
    assert.equal(layouts.length, 60);
    const { success, stderr } = await compile(compiler!, cChecks(layouts));
    assert.equal(stderr, "");
    assert.ok(success);
  },
});
