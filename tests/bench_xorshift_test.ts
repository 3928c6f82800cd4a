// The report's generator and workloads reproduce the seed's req figures.
import assert from "node:assert/strict";
import { Modulus, SEED, Xorshift64Star } from "../bench/_xorshift.ts";
import { requested, WORKLOADS } from "../bench/workloads.ts";

// The seed's xorshift64*, in BigInt: the reference the fast one must equal.
function reference(): () => bigint {
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

Deno.test("xorshift64* equals the 64-bit reference, draw for draw", () => {
  const ref = reference();
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
    const ref = reference();
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

// The seed's own figures (SPEC §5 workloads, the examples).
const SEED_REQ: [workload: string, phase: string, req: number][] = [
  ["uniform_small", "fill", 16843721],
  ["log_mixed", "fill", 30527353],
  ["pin_5pct", "pinned", 1337980],
  ["realloc_grow", "grow", 18796832],
];

for (const [workload, phase, req] of SEED_REQ) {
  Deno.test(`${workload} ${phase} req is the seed's ${req}`, () => {
    const w = WORKLOADS.find((w) => w.name === workload)!;
    assert.equal(requested(w)[phase], req);
  });
}

Deno.test("every workload drains to 0 and fixed sizes fill exactly", () => {
  for (const w of WORKLOADS) {
    const req = requested(w);
    if ("drained" in req) assert.equal(req.drained, 0, w.name);
    if (w.lo === w.hi) assert.equal(req.fill, w.lo * w.slots, w.name);
  }
});

Deno.test("Modulus rejects what it cannot reduce exactly", () => {
  for (const n of [0, -1, 1.5, 2 ** 26 + 1]) {
    assert.throws(() => new Modulus(n), RangeError);
  }
});
