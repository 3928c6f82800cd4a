// A zero-size allocation sits where the allocation before it ended; an
// in-place resize of that one grows over it. Its free(ptr, 0) must still be
// accepted (it owns no bytes), on Arena and FixedAllocator alike, while a
// real interior pointer stays refused.
import assert from "node:assert/strict";
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { type Allocator, BufferPages, PointerError } from "../os/mod.ts";

interface Made {
  a: Allocator;
  used: () => number;
}

const makers: { name: string; make: () => Made }[] = [
  {
    name: "Arena",
    make: () => {
      const a = new Arena({ parent: new BufferPages(), alignment: 16 });
      return { a, used: () => a.bytesUsed };
    },
  },
  {
    name: "FixedAllocator",
    make: () => {
      const pages = new BufferPages();
      const ptr = pages.alloc(4096);
      const a = new FixedAllocator({
        memory: pages.memory,
        ptr,
        length: 4096,
        alignment: 16,
      });
      return { a, used: () => a.bytesUsed };
    },
  },
];

interface ZeroCase {
  name: string;
  run(a: Allocator): void;
}

const cases: ZeroCase[] = [
  {
    name: "one zero-size block grown over, then freed",
    run: (a) => {
      const x = a.alloc(16);
      const z = a.alloc(0);
      assert.equal(z, x + 16);
      assert.equal(a.resize(x, 16, 48), x, "grew in place");
      a.free(z, 0);
      a.free(x, 48);
    },
  },
  {
    name: "two zero-size blocks, the newer freed, then grown over",
    run: (a) => {
      const x = a.alloc(16);
      const z1 = a.alloc(0);
      const z2 = a.alloc(0);
      assert.equal(z1, z2);
      a.free(z2, 0);
      assert.equal(a.resize(x, 16, 32), x);
      a.free(z1, 0);
      a.free(x, 32);
    },
  },
  {
    name: "grown over twice, both freed after",
    run: (a) => {
      const x = a.alloc(16);
      const z1 = a.alloc(0);
      assert.equal(a.resize(x, 16, 32), x);
      const z2 = a.alloc(0);
      assert.equal(a.resize(x, 32, 64), x);
      a.free(z2, 0);
      a.free(z1, 0);
      a.free(x, 64);
    },
  },
  {
    name: "a resize of a grown-over zero-size block moves it",
    run: (a) => {
      const x = a.alloc(16);
      const z = a.alloc(0);
      assert.equal(a.resize(x, 16, 48), x);
      const y = a.resize(z, 0, 8);
      assert.equal(y, x + 48);
      a.free(y, 8);
      a.free(x, 48);
    },
  },
];

for (const { name: maker, make } of makers) {
  Deno.test(`${maker}: a zero-size block grown over frees`, async (t) => {
    for (const c of cases) {
      await t.step(c.name, () => {
        const { a, used } = make();
        c.run(a);
        assert.equal(used(), 0, "every byte back");
        assert.equal(
          a.alloc(4),
          a.alloc(0) - 16,
          "the bump is back at the start",
        );
      });
    }
  });

  Deno.test(`${maker}: an interior pointer with a size is still refused`, () => {
    const { a, used } = make();
    const x = a.alloc(64);
    assert.throws(
      () => a.free(x + 16, 16),
      (e) => e instanceof PointerError && e.reason === "interior",
    );
    // A zero-size free inside it owns no bytes and may be a live zero-size
    // allocation made with alignment 1 and grown over: a no-op, not refused.
    a.free(x + 3, 0);
    assert.equal(used(), 64, "unchanged");
  });
}
