// Alignment matrices after the peers' published test descriptions (mimalloc's
// API tests, Zig's testAllocator shapes, snmalloc's natural alignment), in
// our own words, for the contract suite. A subject takes part when it refuses
// alignment 3 (so it reads the argument); its largest alignment is the
// largest power of two up to 65536 that it accepts and honours.
import assert from "node:assert/strict";
import type { Allocator } from "../os/mod.ts";
import type { Subject } from "./_subjects.ts";

/** The largest size the matrices allocate: a subject must hold it. */
export const MATRIX_MAX_SIZE = 2 ** 20;

/** The largest alignment the subject honours, or 0 if it ignores the argument. */
export function alignmentSupport(s: Subject<unknown>): number {
  const a = s.allocator;
  try {
    a.alloc(1, 3);
    return 0;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  for (let al = 65536; al >= 1; al /= 2) {
    try {
      const p = a.alloc(1, al);
      if (offset(a, p, al) === 0) return al;
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return 0;
}

function offset(a: Allocator, p: number, al: number): number {
  return Number(((a.memory.address ?? 0n) + BigInt(p)) % BigInt(al));
}

function assertAligned(a: Allocator, p: number, al: number, what: string) {
  assert.notEqual(p, 0, `${what}: non-null`);
  assert.equal(offset(a, p, al), 0, `${what}: aligned to ${al}`);
}

function fill(a: Allocator, p: number, n: number, seed: number) {
  const u8 = a.memory.u8;
  for (let i = 0; i < n; i++) u8[p + i] = (seed + i) & 255;
}

function check(a: Allocator, p: number, n: number, seed: number, what: string) {
  const u8 = a.memory.u8;
  for (let i = 0; i < n; i++) {
    if (u8[p + i] !== ((seed + i) & 255)) {
      assert.fail(`${what}: byte ${i} of ${n} is ${u8[p + i]}`);
    }
  }
}

function zero(a: Allocator, p: number, from: number, to: number, what: string) {
  const u8 = a.memory.u8;
  for (let i = from; i < to; i++) {
    if (u8[p + i] !== 0) assert.fail(`${what}: byte ${i} is ${u8[p + i]}`);
  }
}

const pow2 = (max: number) => {
  const out: number[] = [];
  for (let a = 1; a <= max; a *= 2) out.push(a);
  return out;
};

/** One matrix: a name and a run on a fresh allocator with its largest alignment. */
export const MATRICES: [string, (a: Allocator, max: number) => void][] = [
  [
    "mimalloc: size 0 is non-null and aligned; a huge size is refused",
    (a, max) => {
      for (const al of pow2(max)) {
        assertAligned(
          a,
          a.alloc(0, al),
          al,
          "alloc(0)",
        );
      }
      assert.throws(() => a.alloc(2 ** 53, 16), RangeError);
    },
  ],
  [
    "mimalloc: (32,32), (48,32), (8,16)×8, (4097,4096), 1024 @ 64 KiB",
    (a, max) => {
      const pairs = [[32, 32], [48, 32], ...Array(8).fill([8, 16]), [
        4097,
        4096,
      ], [
        1024,
        65536,
      ]].filter(([, al]) => al <= max);
      const live = pairs.map(([size, al], i) => {
        const p = a.alloc(size, al);
        assertAligned(a, p, al, `${size} @ ${al}`);
        zero(a, p, 0, size, `${size} @ ${al} zeroed`);
        fill(a, p, size, i);
        return p;
      });
      pairs.forEach(([size], i) => check(a, live[i], size, i, "no overlap"));
    },
  ],
  ["mimalloc: sampled sizes 1..4096 × alignments up to 4096", (a, max) => {
    let s = 12345;
    for (let k = 0; k < 48; k++) {
      s = (s * 1103515245 + 12345) >>> 0;
      const size = 1 + (s % 4096);
      for (const al of pow2(Math.min(max, 4096))) {
        const p = a.alloc(size, al);
        assertAligned(a, p, al, `${size} @ ${al}`);
        a.free(p, size);
      }
    }
  }],
  [
    "mimalloc: {8, 512, 64 KiB, 64 KiB+1, 128 KiB, 512 KiB, 1 MiB, 0} × 2^0..2^16",
    (a, max) => {
      for (const size of [8, 512, 65536, 65537, 131072, 524288, 2 ** 20, 0]) {
        for (const al of pow2(max)) {
          const p = a.alloc(size, al);
          assertAligned(a, p, al, `${size} @ ${al}`);
          a.free(p, size);
        }
      }
    },
  ],
  ["mimalloc: the grown tail of an aligned block reads zero", (a, max) => {
    const al = Math.min(max, 64);
    const p = a.alloc(100, al);
    fill(a, p, 100, 3);
    a.alloc(1); // so that it moves where the allocator moves blocks
    const q = a.resize(p, 100, 5000, al);
    assertAligned(a, q, al, "grown");
    check(a, q, 100, 3, "kept");
    zero(a, q, 100, 5000, "grown tail");
  }],
  ["mimalloc: a resize loop 0..1023 × 64 B keeps contents", (a, max) => {
    const al = Math.min(max, 16);
    let p = a.alloc(0, al);
    for (let i = 0; i < 1024; i++) {
      p = a.resize(p, i * 64, (i + 1) * 64, al);
      a.memory.u8[p + i * 64] = i & 255;
    }
    assertAligned(a, p, al, "the last");
    for (let i = 0; i < 1024; i++) {
      if (a.memory.u8[p + i * 64] !== (i & 255)) assert.fail(`chunk ${i}`);
    }
    a.free(p, 1024 * 64);
  }],
  [
    "Zig: 100 live blocks, grow to 20000, shrink and regrow, zero length",
    (a, max) => {
      const al = Math.min(max, 16);
      const ps = Array.from({ length: 100 }, (_, i) => {
        const p = a.alloc(i + 1, al);
        fill(a, p, i + 1, i);
        return p;
      });
      ps.forEach((p, i) => check(a, p, i + 1, i, `block ${i}`));
      let p = a.resize(ps[99], 100, 20000, al);
      check(a, p, 100, 99, "grown to 20000");
      p = a.resize(p, 20000, 10, al);
      check(a, p, 10, 99, "shrunk to 10");
      p = a.resize(p, 10, 100, al);
      check(a, p, 10, 99, "regrown");
      zero(a, p, 10, 100, "regrown tail");
      const z = a.alloc(0, al);
      assertAligned(a, z, al, "zero length");
      a.free(z, 0);
      ps.slice(0, 99).forEach((q, i) =>
        check(a, q, i + 1, i, `block ${i} after`)
      );
    },
  ],
  [
    "Zig: alignment kept through 500 → 100 → 5000 → 10 → 20000 (page/2 and the largest)",
    (a, max) => {
      for (const al of new Set([Math.min(max, 2048), max])) {
        let size = 500;
        let p = a.alloc(size, al);
        fill(a, p, size, 7);
        for (const next of [100, 5000, 10, 20000]) {
          p = a.resize(p, size, next, al);
          assertAligned(a, p, al, `${next} @ ${al}`);
          check(a, p, Math.min(10, next), 7, `${next} @ ${al} kept`);
          size = next;
        }
        a.free(p, size);
      }
    },
  ],
];

/**
 * snmalloc's check: every block is aligned to the largest power of two
 * dividing its size, capped at 16 and at the subject's own alignment.
 */
export function naturalAlignment(s: Subject<unknown>): void {
  const a = s.allocator;
  for (let size = 1; size <= 80; size++) {
    const natural = Math.min(16, s.alignment, size & -size);
    assertAligned(a, a.alloc(size), natural, `natural ${size}`);
  }
}
