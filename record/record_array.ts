/**
 * {@linkcode RecordArray}: records of one layout side by side, `size`
 * bytes apart, reached by index through one cursor.
 *
 * @module
 */
import { Memory } from "../os/memory.ts";
import { PointerError } from "../os/errors.ts";
import { destroyed } from "./_access.ts";
import { checkNumber, checkPointer, hex } from "../internal/checks.ts";
import { addressBias } from "../internal/address_bias.ts";
import { type AnyCursor, makeCursor } from "./_cursor.ts";
import type { RecordCursor, RecordFields, RecordLayout } from "./record.ts";

/**
 * `length` records of one layout in one memory, the first at `ptr`, each
 * `layout.size` bytes after the last, like a C array `struct R a[length]`.
 * `at(i)` moves the array's own cursor to record `i` and returns it: the
 * same cursor every time, so read what you need of one record before
 * asking for the next. The index is checked (a RangeError before any
 * memory is touched); record `i` is at `ptr + i × size`. Made by
 * {@linkcode RecordLayout.array}, which checks that the records fit.
 *
 * A loop over every record is fastest as a cursor stepped by the size,
 * `for (c.ptr = a.ptr; c.ptr < a.end; c.ptr += R.size)`: the loop's own
 * bound is the check, where `at(i)` adds a branch per record that costs
 * more than the record's fields (bench/particles.ts, `array` and
 * `array-at`).
 *
 * @example Sum the records of an array
 * ```ts
 * import { defineRecord, type RecordArray } from "@sp/mem/record";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * const Item = defineRecord("Item", { price: "f64", count: "u32" });
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * const items: RecordArray<typeof Item.fieldTypes> = Item.array(
 *   pages.memory,
 *   pages.alloc(4096),
 *   3,
 * );
 * for (let i = 0; i < items.length; i++) {
 *   const it = items.at(i);
 *   it.price = 1.5 * (i + 1);
 *   it.count = 2;
 * }
 * // Every record in turn: one cursor, stepped by the record's size.
 * const c = Item.cursor(pages.memory);
 * let total = 0;
 * for (c.ptr = items.ptr; c.ptr < items.end; c.ptr += Item.size) {
 *   total += c.price * c.count;
 * }
 * assert.equal(total, 18); // 2 × (1.5 + 3 + 4.5)
 * assert.equal(items.at(2).ptr, items.ptr + 2 * Item.size);
 * assert.throws(() => items.at(3), RangeError);
 * ```
 */
export class RecordArray<F extends RecordFields = RecordFields> {
  /** The records' layout. */
  readonly layout: RecordLayout<F>;
  /** The memory the records are in. */
  readonly memory: Memory;
  /** The address of record 0. */
  readonly ptr: number;
  /** The number of records. */
  readonly length: number;
  /** The address just past the last record: `ptr + length × size`. */
  readonly end: number;
  readonly #cursor: AnyCursor;
  readonly #size: number;

  /**
   * Use {@linkcode RecordLayout.array}. Checks that `memory` is not
   * destroyed (a DestroyedError), that `ptr` has the layout's alignment
   * (its real address, `memory.address + ptr` for native memory, a multiple
   * of it) and is not null (unless `length` is 0), and that the `length`
   * records end inside `memory`.
   *
   * @param layout The records' layout.
   * @param memory The memory they are in.
   * @param ptr The address of record 0.
   * @param length The number of records.
   */
  constructor(
    layout: RecordLayout<F>,
    memory: Memory,
    ptr: number,
    length: number,
  ) {
    if (!(memory instanceof Memory)) {
      throw new TypeError(
        `A record array needs a Memory (an allocator's memory), got ${
          memory === null ? "null" : typeof memory
        }`,
      );
    }
    // Before any other check: a destroyed memory's buffer is detached (0
    // bytes), or a WasmPages memory's still its module's, whose bytes the
    // records would reach.
    if (memory.destroyed) destroyed();
    checkPointer(ptr);
    // The alignment of the real address, as every allocator gives it: for
    // native memory, address + ptr (an offset need not be a multiple of an
    // alignment above the page's).
    const bias = addressBias(memory, layout.align);
    if ((ptr + bias) % layout.align !== 0) {
      // (Past 4096 an offset's own remainder is not the rule: say which.)
      const rule = bias === 0
        ? `is not a multiple of ${layout.align}`
        : `is at native address 0x${
          (memory.address! + BigInt(ptr)).toString(16)
        }, not a multiple of ${layout.align}`;
      throw new PointerError(
        `Pointer ${
          hex(ptr)
        } ${rule}, the alignment of record ${layout.name}: allocate the array with that alignment`,
        ptr,
        "unaligned",
      );
    }
    if (!(Number.isSafeInteger(length) && length >= 0)) {
      checkNumber(length, "Length");
      throw new RangeError(
        `Length must be a non-negative integer, got ${String(length)}`,
      );
    }
    // Page 0 is never handed out: records there are no allocation's.
    if (ptr === 0 && length > 0) {
      throw new RangeError(
        `Pointer is null (0): an array of ${layout.name} records needs the address of a block an allocator returned`,
      );
    }
    const end = ptr + length * layout.size;
    if (end > memory.buffer.byteLength) {
      throw new RangeError(
        `An array of ${length} ${layout.name} records (${layout.size} bytes each) at ${
          hex(ptr)
        } ends at ${end}, past the memory's ${memory.buffer.byteLength} bytes: give it fewer records or memory that holds them`,
      );
    }
    this.layout = layout;
    this.memory = memory;
    this.ptr = ptr;
    this.length = length;
    this.end = end;
    this.#cursor = makeCursor(layout, memory);
    this.#cursor.ptr = ptr;
    this.#size = layout.size;
    // Frozen, as the readonly fields say: a length written over (1e6 for 3
    // records) let at(i) reach records past the array's memory.
    Object.freeze(this);
  }

  /**
   * The array's cursor, moved to record `index`.
   *
   * @example
   * ```ts
   * import { defineRecord } from "@sp/mem/record";
   * import { BufferPages } from "@sp/mem/os";
   * import assert from "node:assert/strict";
   *
   * const P = defineRecord("P", { x: "f32", y: "f32" });
   * using pages = new BufferPages({ reserve: 2 ** 20 });
   * const ps = P.array(pages.memory, pages.alloc(4096), 4);
   * ps.at(3).y = 2;
   * assert.equal(pages.memory.f32[(ps.ptr + 3 * 8 + 4) / 4], 2);
   * assert.equal(ps.at(0), ps.at(1)); // one cursor, moved
   * ```
   *
   * @param index An integer from 0 to `length - 1`.
   * @returns The cursor at that record.
   */
  at(index: number): RecordCursor<F> {
    // typeof first: `>>> 0` throws on a bigint. (`>>> 0` keeps only indexes
    // below 2^32; an array in a larger memory may hold more records.)
    if (
      typeof index === "number" &&
      (index >>> 0 === index || (Number.isInteger(index) && index > 0)) &&
      index < this.length
    ) {
      this.#cursor.ptr = this.ptr + index * this.#size;
      return this.#cursor as unknown as RecordCursor<F>;
    }
    // Thrown here, not in a helper: the one return keeps the result's
    // type known to the caller's compiled code.
    checkNumber(index, "Index");
    throw outOfRange(index, this.length);
  }
}

function outOfRange(index: number, length: number): RangeError {
  return new RangeError(
    `Index ${String(index)} is out of range for an array of ${length} records${
      length > 0 ? ` (0 to ${length - 1})` : ""
    }`,
  );
}
