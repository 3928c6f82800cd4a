/**
 * The starts of a bump allocator's newest allocations, newest last, each
 * with the padding before it (from the end of the allocation below it, or
 * from the floor), so that its top allocation is told from a pointer inside
 * it (which may end at the bump too), and freeing allocations newest first
 * gives back each one's bytes and the padding before it in turn. A bump
 * allocator keeps no header, so these are all it knows of its allocations.
 *
 * ```
 *   starts: [ s0 | s1 | s2 | s3 |    |    |    |    ]   n = 4: s3 is the top
 *   pads:   [ p0 | p1 | p2 | p3 |    |    |    |    ]   s1 - p1: s0's end
 * ```
 *
 * A free of the top one puts the bump at `s3 - p3`, where the one below it
 * ends. The arrays start at 8 slots and double up to
 * {@linkcode TOP_STACK_LIMIT}; a push at the limit lets the older half go (a
 * free of one of those is then a no-op, as a free of any allocation that is
 * not the top one is). The owner forgets every start when the one below the
 * top can no longer be freed: at a mark, a pop or clear, and on moving to
 * another block.
 */
export class TopStack {
  // The starts, and the padding before each (the same index): less than the
  // alignment, so at most 2^30 - 1, in an Int32Array. A small integer loaded
  // from it keeps the owner's bump a small integer (the bump before the
  // padding, loaded from a Float64Array, made it a double: every pointer
  // that alloc returned was then a heap number, +3 ns an alloc).
  #starts = new Float64Array(8);
  #pads = new Int32Array(8);
  #n = 0;

  /** The newest start known, or -1 if none is. */
  get last(): number {
    const n = this.#n;
    return n > 0 ? this.#starts[n - 1] : -1;
  }

  /**
   * The first start known above `ptr`, or Infinity if none is: an
   * allocation at `ptr` ends there at the latest. (Starts only grow from
   * bottom to top: a push is at the bump, past every start kept.)
   */
  after(ptr: number): number {
    const i = this.#above(ptr);
    return i < this.#n ? this.#starts[i] : Infinity;
  }

  // The index of the first start known above `ptr` (n if none is), by
  // bisection.
  #above(ptr: number): number {
    const starts = this.#starts;
    let lo = 0, hi = this.#n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= ptr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Adds `ptr`, the newest allocation's start (it ends at the bump), made
   * with the bump at `from` (the padding before it is `ptr - from`).
   */
  push(ptr: number, from: number): void {
    const n = this.#n, starts = this.#starts;
    if (n === starts.length) return this.#pushFull(ptr, from);
    starts[n] = ptr;
    this.#pads[n] = ptr - from;
    this.#n = n + 1;
  }

  /**
   * Drops the newest start: its allocation was freed (so `last` named it, and
   * there is one to drop).
   *
   * @returns The padding before it: the freed pointer minus this is the
   * bump before it, the end of the allocation below it (the newest one
   * left) or the floor.
   */
  pop(): number {
    return this.#pads[--this.#n];
  }

  /**
   * The allocation at `ptr`, not the newest, shrank in place by `bytes`:
   * they join the padding before the one above it, so that the free of that
   * one puts the bump at the new end. Nothing if `ptr` is no start known
   * (the one above it may be forgotten too); every start is forgotten if
   * the padding would pass an Int32 (frees newest first are then no-ops,
   * as for starts let go).
   */
  shrunk(ptr: number, bytes: number): void {
    // The first start above `ptr`, and the newest at `ptr` below it.
    const lo = this.#above(ptr);
    if (lo === 0 || lo === this.#n || this.#starts[lo - 1] !== ptr) return;
    const pad = this.#pads[lo] + bytes;
    if (pad > 0x7fffffff) return this.forget();
    this.#pads[lo] = pad;
  }

  /** Forgets every start: none of them is to be freed any more. */
  forget(): void {
    this.#n = 0;
  }

  // Every slot holds a start: double the arrays, or at the limit let the
  // older half go (an arena that only allocates comes here once every 512
  // allocations). The starts kept keep their padding, so the oldest one's
  // free puts the bump at the end of the newest one let go.
  #pushFull(ptr: number, from: number): void {
    let n = this.#n;
    if (n < TOP_STACK_LIMIT) {
      const starts = new Float64Array(n * 2), pads = new Int32Array(n * 2);
      starts.set(this.#starts);
      pads.set(this.#pads);
      this.#starts = starts;
      this.#pads = pads;
    } else {
      this.#starts.copyWithin(0, n / 2);
      this.#pads.copyWithin(0, n / 2);
      n /= 2;
    }
    this.#starts[n] = ptr;
    this.#pads[n] = ptr - from;
    this.#n = n + 1;
  }
}

/** How many allocation starts a {@linkcode TopStack} keeps at most (12 KiB). */
export const TOP_STACK_LIMIT = 1024;
