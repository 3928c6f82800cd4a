// SharedPages.ownerOf through resize, as data: two instances on one handle
// (standing for two workers) allocate and resize runs, and every page's owner
// afterwards is exact — a moved run's old pages belong to no one, its new
// pages to the instance that moved it; the pages an aligned run skips belong
// to no one.
import assert from "node:assert/strict";
import { SharedPages } from "../os/mod.ts";

const P = 4096;

type Who = "one" | "two";

interface Env {
  pages: Record<Who, SharedPages>;
  ptr: Record<string, number>;
}

interface OwnerCase {
  name: string;
  run(env: Env): void;
  /** [pointer name, page offset from it, owner (0: none)]. */
  owners: [name: string, page: number, owner: Who | 0][];
}

const cases: OwnerCase[] = [
  {
    name: "a moving resize by the allocator: old pages none's, new its own",
    run: ({ pages, ptr }) => {
      ptr.a = pages.one.alloc(P);
      ptr.guard = pages.one.alloc(P);
      ptr.b = pages.one.resize(ptr.a, P, 2 * P);
      assert.deepEqual([ptr.a, ptr.guard, ptr.b], [P, 2 * P, 3 * P]);
    },
    owners: [
      ["a", 0, 0],
      ["guard", 0, "one"],
      ["b", 0, "one"],
      ["b", 1, "one"],
      ["b", 2, 0],
    ],
  },
  {
    name: "a moving resize by another instance: the new pages are the mover's",
    run: ({ pages, ptr }) => {
      ptr.a = pages.one.alloc(2 * P);
      ptr.guard = pages.one.alloc(P);
      ptr.b = pages.two.resize(ptr.a, 2 * P, 3 * P);
      assert.deepEqual([ptr.a, ptr.guard, ptr.b], [P, 3 * P, 4 * P]);
    },
    owners: [
      ["a", 0, 0],
      ["a", 1, 0],
      ["guard", 0, "one"],
      ["b", 0, "two"],
      ["b", 1, "two"],
      ["b", 2, "two"],
      ["b", 3, 0],
    ],
  },
  {
    name:
      "a move into freed pages: they become the mover's, the old ones none's",
    run: ({ pages, ptr }) => {
      ptr.hole = pages.one.alloc(3 * P);
      ptr.guard1 = pages.one.alloc(P);
      ptr.a = pages.one.alloc(P);
      ptr.guard2 = pages.one.alloc(P);
      pages.one.free(ptr.hole, 3 * P);
      ptr.b = pages.two.resize(ptr.a, P, 3 * P);
      assert.deepEqual([ptr.a, ptr.b], [5 * P, P]);
    },
    owners: [
      ["a", 0, 0],
      ["b", 0, "two"],
      ["b", 2, "two"],
      ["guard1", 0, "one"],
      ["guard2", 0, "one"],
    ],
  },
  {
    name:
      "a shrink in place: the kept pages are the resizer's, the tail none's",
    run: ({ pages, ptr }) => {
      ptr.a = pages.one.alloc(3 * P);
      ptr.b = pages.two.resize(ptr.a, 3 * P, P);
      assert.equal(ptr.b, ptr.a);
    },
    owners: [["a", 0, "two"], ["a", 1, 0], ["a", 2, 0]],
  },
  {
    name: "a 64 KiB-aligned run: its pages the allocator's, the skipped none's",
    run: ({ pages, ptr }) => {
      ptr.a = pages.one.alloc(P);
      ptr.b = pages.two.alloc(2 * P, 65536);
      ptr.c = pages.one.alloc(P); // the first skipped page
      assert.deepEqual([ptr.a, ptr.b, ptr.c], [P, 65536, 2 * P]);
    },
    owners: [
      ["a", 0, "one"],
      ["c", 0, "one"],
      ["c", 1, 0],
      ["b", -1, 0],
      ["b", 0, "two"],
      ["b", 1, "two"],
      ["b", 2, 0],
    ],
  },
  {
    name: "an aligned move by another instance: the new pages are the mover's",
    run: ({ pages, ptr }) => {
      ptr.a = pages.one.alloc(2 * P);
      ptr.b = pages.two.resize(ptr.a, 2 * P, 3 * P, 32768);
      assert.deepEqual([ptr.a, ptr.b], [P, 32768]);
    },
    owners: [
      ["a", 0, 0],
      ["a", 1, 0],
      ["b", 0, "two"],
      ["b", 2, "two"],
      ["b", 3, 0],
    ],
  },
  {
    name: "a resize to 0 frees: no owner",
    run: ({ pages, ptr }) => {
      ptr.a = pages.one.alloc(2 * P);
      assert.equal(pages.two.resize(ptr.a, 2 * P, 0), 0);
    },
    owners: [["a", 0, 0], ["a", 1, 0]],
  },
];

Deno.test("SharedPages: ownerOf after resize", async (t) => {
  for (const c of cases) {
    await t.step(c.name, () => {
      using one = new SharedPages({ reserve: 2 ** 20 });
      const two = SharedPages.attach(structuredClone(one.handle));
      const env: Env = { pages: { one, two }, ptr: {} };
      c.run(env);
      const id = (who: Who | 0) => who === 0 ? 0 : env.pages[who].id;
      for (const [name, page, who] of c.owners) {
        const at = env.ptr[name] + page * P;
        // Both instances read the one shared table.
        assert.equal(one.ownerOf(at), id(who), `owner of ${name} + ${page}`);
        assert.equal(two.ownerOf(at), id(who), `owner of ${name} + ${page}`);
      }
    });
  }
});
