// Random sequences of alloc / resize / free / mark / pop / clear against a
// model of what each allocation must hold, on every parent. Each allocation
// is filled with its own pattern; after every step every live allocation must
// still hold its pattern, new memory must be zero, pointers must be aligned
// and must not overlap, and bytesUsed must move exactly as the arena's rules
// say (free and in-place resize of the top, pop back to the mark's value).
import assert from "node:assert/strict";
import fc from "fast-check";
import { Arena, type ArenaMark } from "../arena/mod.ts";
import { TOP_STACK_LIMIT } from "../arena/_top_stack.ts";
import { hasPattern, isZero, writePattern } from "./_bytes.ts";
import { parents } from "./_arena_parents.ts";

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "resize"; pick: number; size: number }
  | { kind: "free"; pick: number }
  | { kind: "mark" }
  | { kind: "pop"; pick: number }
  | { kind: "clear" };

const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 3, arbitrary: fc.integer({ min: 65, max: 400 }) },
  { weight: 1, arbitrary: fc.integer({ min: 401, max: 3000 }) },
);
const pick = fc.nat(1000);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("alloc"), size }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("resize"), pick, size }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("free"), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("mark") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("pop"), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear") }) },
) as fc.Arbitrary<Op>;

interface Entry {
  ptr: number;
  size: number;
  seed: number;
  /** When it was placed (allocated or moved); pops drop the later ones. */
  seq: number;
}

interface ModelMark {
  mark: ArenaMark;
  seq: number;
  used: number;
  top: number;
}

function check(
  arena: Arena,
  blockSize: number,
  alignment: number,
  ops: Op[],
): void {
  const mem = arena.memory;
  const address = mem.address ?? 0n;
  let live: Entry[] = [];
  let marks: ModelMark[] = [];
  const stale: ArenaMark[] = [];
  let seq = 0;
  let seed = 1;
  // Where the arena's bump is, and where its newest allocations start, each
  // with the bump before its padding (the newest last; forgotten at a mark,
  // a pop, a clear and on moving to another block, the older half at
  // TOP_STACK_LIMIT). The top allocation starts at the newest start, ends at
  // the bump and was placed after the newest mark; its free puts the bump
  // back where it was before it, padding and all.
  let top = arena.blocks[0].ptr + 32;
  let starts: { ptr: number; from: number }[] = [];
  const afterMark = (e: Entry) =>
    marks.length === 0 || e.seq > marks.at(-1)!.seq;
  const isTop = (e: Entry) =>
    e.ptr === starts.at(-1)?.ptr && e.ptr + e.size === top && afterMark(e);

  const placed = (ptr: number, n: number): Entry => {
    assert.equal((address + BigInt(ptr)) % BigInt(alignment), 0n, "aligned");
    assert.ok(
      arena.blocks.some((b) => ptr >= b.ptr + 32 && ptr + n <= b.ptr + b.size),
      "inside a block",
    );
    for (const e of live) {
      assert.ok(
        ptr + n <= e.ptr || e.ptr + e.size <= ptr || n === 0 || e.size === 0,
        "overlap",
      );
    }
    const entry = { ptr, size: n, seed: seed++, seq: ++seq };
    const block = arena.blocks.find((b) =>
      ptr >= b.ptr + 32 && ptr <= b.ptr + b.size
    )!;
    if (top < block.ptr + 32 || top > block.ptr + block.size) {
      [starts, top] = [[], block.ptr + 32];
    }
    // A zero-size allocation on the bump leaves the one before it the top.
    if (ptr + n !== top) {
      if (starts.length === TOP_STACK_LIMIT) {
        starts.splice(0, starts.length / 2);
      }
      starts.push({ ptr, from: top });
    }
    top = ptr + n;
    return entry;
  };

  for (const o of ops) {
    const used = arena.bytesUsed;
    const capacity = arena.capacity;
    switch (o.kind) {
      case "alloc": {
        const ptr = arena.alloc(o.size);
        assert.ok(isZero(mem, ptr, o.size), "a new allocation is zero");
        const e = placed(ptr, o.size);
        assert.ok(arena.bytesUsed >= used + o.size);
        writePattern(mem, ptr, o.size, e.seed);
        live.push(e);
        break;
      }
      case "free": {
        if (live.length === 0) break;
        const i = o.pick % live.length;
        const e = live[i];
        const wasTop = isTop(e), from = wasTop ? starts.at(-1)!.from : top;
        arena.free(e.ptr, e.size);
        live.splice(i, 1);
        if (wasTop) (top = from, starts.pop());
        assert.equal(
          arena.bytesUsed,
          used - (wasTop ? e.ptr + e.size - from : 0),
          "free",
        );
        assert.ok(
          isZero(mem, from, wasTop ? e.ptr + e.size - from : 0),
          "freed top is zero",
        );
        break;
      }
      case "resize": {
        if (live.length === 0) break;
        const i = o.pick % live.length;
        const e = live[i];
        const wasTop = isTop(e);
        const from = wasTop ? starts.at(-1)!.from : top;
        const given = wasTop ? top - from : 0;
        const ptr = arena.resize(e.ptr, e.size, o.size);
        const kept = Math.min(e.size, o.size);
        if (o.size === 0) {
          assert.equal(ptr, 0);
          live.splice(i, 1);
          if (wasTop) (top = from, starts.pop());
          assert.equal(arena.bytesUsed, used - given);
          break;
        }
        assert.ok(hasPattern(mem, ptr, kept, e.seed), "resize keeps bytes");
        assert.ok(isZero(mem, ptr + kept, o.size - kept), "new bytes are zero");
        let now: Entry = e;
        if (o.size <= e.size || (wasTop && ptr === e.ptr)) {
          assert.equal(ptr, e.ptr, "shrink or top growth stays in place");
          if (wasTop) {
            top = ptr + o.size;
            assert.equal(arena.bytesUsed, used - e.size + o.size);
          } else {
            assert.equal(arena.bytesUsed, used);
            // The bytes it gave up pad the one above it, if both are known.
            const j = starts.findLastIndex((s) => s.ptr === e.ptr);
            if (j >= 0 && j + 1 < starts.length) {
              starts[j + 1].from -= e.size - o.size;
            }
          }
          e.size = o.size;
        } else {
          if (e.size > 0) assert.notEqual(ptr, e.ptr, "non-top growth moves");
          live.splice(i, 1);
          now = placed(ptr, o.size);
          live.push(now);
        }
        now.seed = seed++;
        writePattern(mem, ptr, o.size, now.seed);
        break;
      }
      case "mark":
        marks.push({ mark: arena.mark(), seq, used, top });
        starts = [];
        break;
      case "pop": {
        if (marks.length === 0 || (stale.length > 0 && o.pick % 5 === 0)) {
          if (stale.length === 0) break;
          const m = stale[o.pick % stale.length];
          assert.throws(() => arena.pop(m), RangeError);
          assert.equal(arena.bytesUsed, used);
          break;
        }
        const i = o.pick % marks.length;
        const m = marks[i];
        arena.pop(m.mark);
        stale.push(...marks.slice(i + 1).map((x) => x.mark));
        marks = marks.slice(0, i + 1);
        live = live.filter((e) => e.seq <= m.seq);
        [top, starts] = [m.top, []];
        assert.equal(arena.bytesUsed, m.used, "pop restores bytesUsed");
        assert.equal(arena.capacity, capacity, "pop keeps the blocks");
        break;
      }
      case "clear":
        arena.clear();
        stale.push(...marks.map((x) => x.mark));
        marks = [];
        live = [];
        [top, starts] = [arena.blocks[0].ptr + 32, []];
        assert.equal(arena.bytesUsed, 0);
        assert.equal(arena.capacity, capacity, "clear keeps the blocks");
        break;
    }
    for (const e of live) {
      assert.ok(hasPattern(mem, e.ptr, e.size, e.seed), "pattern intact");
    }
    assert.ok(arena.bytesUsed <= arena.capacity - 32 * arena.blockCount);
    assert.ok(arena.blocks[0].size === blockSize);
  }
}

Deno.test("arena: random operations keep every allocation intact", async (t) => {
  for (const maker of parents) {
    await t.step(maker.name, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(64, 128, 512, 4096),
          fc.constantFrom(1, 2, 8, 16, 64, 4096),
          fc.array(op, { maxLength: 60 }),
          (blockSize, alignment, ops) => {
            using env = maker.make();
            using arena = new Arena({
              parent: env.parent,
              blockSize,
              alignment,
            });
            check(arena, blockSize, alignment, ops);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
