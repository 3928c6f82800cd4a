// The report's generator and workloads reproduce the C benchmark's req figures.
import assert from "node:assert/strict";
import { Modulus, SEED, Xorshift64Star } from "../_xorshift.ts";
import { requested, WORKLOADS } from "../workloads.ts";

// xorshift64* in 64-bit BigInt arithmetic, as C computes it on uint64_t: the
// figures the fast 32-bit one must equal.
function bigintXorshift(): () => bigint {
  const mask = (1n << 64n) - 1n;
  let s = SEED;
  return () => {
    let x = s;
    x ^= x >> 12n;
    x ^= (x << 25n) & mask;
    x ^= x >> 27n;
    s = x;
    return (x * 0x2545F4914F6CDD1Dn) & mask;
  };
}

Deno.test("xorshift64* equals 64-bit BigInt arithmetic, draw for draw", () => {
  const ref = bigintXorshift();
  const rng = new Xorshift64Star();
  for (let i = 0; i < 20000; i++) assert.equal(rng.nextBigInt(), ref());
});

Deno.test("below(n) is r % n over all 64 bits, for awkward moduli", () => {
  const moduli = [
    1,
    2,
    3,
    7,
    11,
    100,
    241,
    497,
    1024,
    61441,
    65536,
    99991,
    2 ** 26,
  ];
  for (const n of moduli) {
    const ref = bigintXorshift();
    const rng = new Xorshift64Star();
    const m = new Modulus(n);
    for (let i = 0; i < 2000; i++) {
      assert.equal(
        rng.below(m),
        Number(ref() % BigInt(n)),
        `n = ${n}, draw ${i}`,
      );
    }
  }
});

// Figures of the C benchmark these workloads come from (docs/design.md).
const C_REQ: [workload: string, phase: string, req: number][] = [
  // Fixed sizes draw nothing: every draw picks a slot.
  ["fixed_16", "churn", 526432],
  ["fixed_64", "churn", 2105728],
  ["fixed_512", "churn", 4174848],
  ["uniform_small", "fill", 16843721],
  ["log_mixed", "fill", 30527353],
  ["pin_5pct", "pinned", 1337980],
  ["realloc_grow", "grow", 18796832],
];

for (const [workload, phase, req] of C_REQ) {
  Deno.test(`${workload} ${phase} req is ${req}`, () => {
    const w = WORKLOADS.find((w) => w.name === workload)!;
    assert.equal(requested(w)[phase], req);
  });
}

Deno.test("every workload drains to 0 and fixed sizes fill exactly", () => {
  for (const w of WORKLOADS) {
    const req = requested(w);
    if ("drained" in req) assert.equal(req.drained, 0, w.name);
    if (w.shape === "fixed") assert.equal(req.fill, w.lo * w.slots, w.name);
  }
});

Deno.test("Modulus rejects what it cannot reduce exactly", () => {
  for (const n of [0, -1, 1.5, 2 ** 26 + 1]) {
    assert.throws(() => new Modulus(n), RangeError);
  }
});
