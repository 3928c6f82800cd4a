// Random alloc/free sequences (fast-check, fixed seed) against a model of
// the pool's policy that predicts every address: a slab hands out its
// freed blocks first, last freed first, then its other blocks in order; when the current slab
// is full, the slab that last got a free block is next, then the newest
// empty one, then a new one. Each live block carries a pattern checked when
// it is freed; every allocation reads as zero; the counters, the parent's
// live bytes and validate() agree after every step, and trim() gives back
// exactly the model's empty slabs. A reset frees every block at once: the
// blocks each slab handed out come back in address order, and a pointer
// live before it is refused as a double free.
import assert from "node:assert/strict";
import fc from "fast-check";
import { BufferPages } from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";

class Model {
  slabs: { free: number[]; fresh: number; used: number }[] = [];
  cur = -1;
  partial: number[] = []; // head first
  empty: number[] = []; // oldest first
  constructor(readonly n: number) {}

  alloc(): [slab: number, index: number] {
    let s = this.cur;
    if (
      s < 0 ||
      (this.slabs[s].free.length === 0 && this.slabs[s].fresh === this.n)
    ) {
      if (this.partial.length > 0) s = this.partial.shift()!;
      else if (this.empty.length > 0) s = this.empty.pop()!;
      else s = this.slabs.push({ free: [], fresh: 0, used: 0 }) - 1;
      this.cur = s;
    }
    const slab = this.slabs[s];
    slab.used++;
    return [s, slab.free.length > 0 ? slab.free.pop()! : slab.fresh++];
  }

  free(s: number, i: number): void {
    const slab = this.slabs[s];
    slab.free.push(i);
    slab.used--;
    if (s === this.cur) return;
    if (slab.used === 0) {
      const at = this.partial.indexOf(s);
      if (at >= 0) this.partial.splice(at, 1);
      this.empty.push(s);
    } else if (slab.used === this.n - 1) this.partial.unshift(s);
  }

  // Every slab with live blocks gets all it has handed out back, in
  // address order, and (but the current one) goes on the empty list, the
  // highest first so that the lowest is the newest.
  reset(): void {
    this.partial = [];
    for (let s = this.slabs.length - 1; s >= 0; s--) {
      const slab = this.slabs[s];
      if (slab.used === 0) continue;
      slab.free = Array.from(
        { length: slab.fresh },
        (_, i) => slab.fresh - 1 - i,
      );
      slab.used = 0;
      if (s !== this.cur) this.empty.push(s);
    }
  }

  get emptySlabs(): number {
    return this.empty.length +
      (this.cur >= 0 && this.slabs[this.cur].used === 0 ? 1 : 0);
  }
}

const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      unsafe: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("free" as const),
      pick: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reset" as const),
      pick: fc.nat(),
    }),
  },
);

const CONFIGS = [
  { blockSize: 500, alignment: 4, slabSize: 4096 }, // 8 blocks a slab, stride 500
  { blockSize: 24, slabSize: 4096 }, // 170 blocks a slab
  { blockSize: 1, slabSize: 8192 }, // 8192 blocks
  { blockSize: 4000, alignment: 64, slabSize: 8192 }, // 2 blocks, stride 4032
];

for (const config of CONFIGS) {
  Deno.test(`Pool matches its model: ${JSON.stringify(config)}`, () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        using pages = new BufferPages({ reserve: 2 ** 24 });
        using pool = new Pool({ ...config, parent: pages, decayMs: Infinity });
        const { u8 } = pool.memory;
        const model = new Model(pool.blocksPerSlab);
        const live: {
          ptr: number;
          slab: number;
          index: number;
          tag: number;
        }[] = [];
        const at = (s: number, i: number) =>
          4096 + s * pool.slabSize + i * pool.stride;
        let tag = 0;
        for (const o of ops) {
          if (o.kind === "alloc") {
            const [slab, index] = model.alloc();
            const ptr = o.unsafe ? pool.allocUnsafe() : pool.alloc();
            assert.equal(ptr, at(slab, index));
            if (!o.unsafe) {
              assert.ok(
                u8.subarray(ptr, ptr + pool.blockSize).every((b) => b === 0),
              );
            }
            tag = (tag % 254) + 1;
            u8.fill(tag, ptr, ptr + pool.blockSize);
            live.push({ ptr, slab, index, tag });
          } else if (o.kind === "reset") {
            pool.reset();
            model.reset();
            // A pointer live before is refused, and nothing changes.
            const old = live[o.pick % Math.max(1, live.length)];
            live.length = 0;
            if (old !== undefined) {
              assert.throws(() => pool.free(old.ptr), {
                name: "PointerError",
                reason: "double-free",
              });
            }
          } else if (live.length > 0) {
            const [b] = live.splice(o.pick % live.length, 1);
            assert.equal(u8[b.ptr], b.tag);
            assert.equal(u8[b.ptr + pool.blockSize - 1], b.tag);
            pool.free(b.ptr);
            model.free(b.slab, b.index);
          }
          assert.equal(pool.blocks, live.length);
          assert.equal(pool.bytesUsed, live.length * pool.blockSize);
          assert.equal(pool.bytesReserved, model.slabs.length * pool.slabSize);
          assert.equal(pages.liveBytes, pool.bytesReserved);
        }
        pool.validate();
        assert.equal(pool.peakReserved, model.slabs.length * pool.slabSize);
        assert.equal(pool.trimmableBytes, model.emptySlabs * pool.slabSize);
        assert.equal(pool.trim(), model.emptySlabs * pool.slabSize);
        assert.equal(pool.slabs, model.slabs.length - model.emptySlabs);
        pool.validate();
      }),
      { seed: 19, numRuns: 150 },
    );
  });
}
