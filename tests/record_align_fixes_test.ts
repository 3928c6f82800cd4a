// A record aligned above a page (8192) in native memory whose mmap base is
// not a multiple of 8192: the allocators align the native address
// (memory.address + ptr), and RecordLayout.array checks the same.
import assert from "node:assert/strict";
import { defineRecord } from "../record/mod.ts";
import { Heap } from "../heap/mod.ts";
import { BufferPages, OsPages, PointerError } from "../os/mod.ts";

const Big = defineRecord("Big", { x: "f64" }, { align: 8192 });

// On ArrayBuffer memory the offset is the address.
const unaligned = (ptr: number) =>
  new PointerError(
    `Pointer 0x${
      ptr.toString(16)
    } (${ptr}) is not a multiple of 8192, the alignment of record Big: allocate the array with that alignment`,
    ptr,
    "unaligned",
  );
// On native memory the message names the address that is not aligned.
const unalignedAt = (pages: OsPages, ptr: number) =>
  new PointerError(
    `Pointer 0x${ptr.toString(16)} (${ptr}) is at native address 0x${
      (pages.memory.address! + BigInt(ptr)).toString(16)
    }, not a multiple of 8192, the alignment of record Big: allocate the array with that alignment`,
    ptr,
    "unaligned",
  );

// An OsPages whose native base is 4096 past a multiple of 8192 (mmap gives
// either kind; reserving a page more each time moves the next base).
function oddPages(): OsPages {
  const tried: OsPages[] = [];
  try {
    for (let k = 0; k < 64; k++) {
      const pages = new OsPages({ reserve: 2 ** 22 + 4096 * k });
      if (pages.memory.address! % 8192n === 4096n) return pages;
      tried.push(pages);
    }
    throw new Error("no mmap base 4096 past a multiple of 8192 in 64 tries");
  } finally {
    for (const p of tried) p.destroy();
  }
}

Deno.test("record align 8192: array takes the heap's block at an odd mmap base", () => {
  using pages = oddPages();
  using heap = new Heap({ pages });
  assert.deepEqual([Big.size, Big.align], [8192, 8192]);
  const q = heap.alloc(Big.size, Big.align);
  const native = pages.memory.address! + BigInt(q);
  // The native address is aligned, the offset is not.
  assert.deepEqual([native % 8192n, q % 8192], [0n, 4096]);
  const a = Big.array(heap.memory, q, 1);
  assert.deepEqual([a.ptr, a.end, a.length], [q, q + 8192, 1]);
  a.at(0).x = 2.5;
  assert.equal(heap.memory.f64[q / 8], 2.5);
  // The cursor reads it there too.
  const c = Big.cursor(heap.memory);
  c.ptr = q;
  assert.equal(c.x, 2.5);
  // Misaligned by 8: refused, naming the native address, nothing made.
  assert.throws(
    () => Big.array(heap.memory, q + 8, 1),
    unalignedAt(pages, q + 8),
  );
  const err = (() => {
    try {
      Big.array(heap.memory, q + 8, 1);
    } catch (e) {
      return e as PointerError;
    }
  })()!;
  assert.deepEqual([err.ptr, err.reason], [q + 8, "unaligned"]);
  // An offset that is a multiple of 8192 is a native address 4096 off.
  const off = q - 4096;
  assert.equal(off % 8192, 0);
  assert.throws(
    () => Big.array(heap.memory, off, 1),
    unalignedAt(pages, off),
  );
  heap.free(q, Big.size);
});

Deno.test("record align 8192: the record's own pool's blocks are arrays of it", () => {
  using pages = oddPages();
  using heap = new Heap({ pages });
  using pool = Big.pool({ parent: heap });
  const blocks = [pool.alloc(), pool.alloc(), pool.alloc()];
  for (const b of blocks) {
    assert.equal((pages.memory.address! + BigInt(b)) % 8192n, 0n);
    assert.equal(Big.array(pool.memory, b, 1).ptr, b);
  }
  assert.throws(
    () => Big.array(pool.memory, blocks[0] + 4096, 1),
    unalignedAt(pages, blocks[0] + 4096),
  );
});

Deno.test("record align 8192: ArrayBuffer memory checks the offset itself", () => {
  using heap = new Heap({ pages: new BufferPages({ reserve: 2 ** 20 }) });
  const q = heap.alloc(Big.size, Big.align);
  assert.equal(q % 8192, 0);
  assert.equal(Big.array(heap.memory, q, 1).ptr, q);
  assert.throws(
    () => Big.array(heap.memory, q + 4096, 1),
    unaligned(q + 4096),
  );
});
