/**
 * The starts of a bump allocator's newest allocations, newest last, so that
 * its top allocation is told from a pointer inside it (which may end at the
 * bump too), and freeing allocations newest first gives back each one's
 * bytes in turn. A bump allocator keeps no header, so these starts are all it
 * knows of its allocations.
 *
 * ```
 *   starts: [ s0 | s1 | s2 | s3 | s4 |    |    |    ]   n = 5: s4 is the top
 * ```
 *
 * The array starts at 8 slots and doubles up to {@linkcode TOP_STACK_LIMIT};
 * a push at the limit lets the older half go (a free of one of those is then
 * a no-op, as a free of any allocation that is not the top one is). The
 * owner forgets every start when the one below the top can no longer be
 * freed: at a mark, a pop or clear, and on moving to another block.
 */
export class TopStack {
  #starts = new Float64Array(8);
  #n = 0;
  // The depth at the last pop: the newest start's allocation is known to end
  // at the bump unless nothing was pushed since.
  #popped = -1;

  /** The newest start known, or -1 if none is. */
  get last(): number {
    const n = this.#n;
    return n > 0 ? this.#starts[n - 1] : -1;
  }

  /**
   * Whether the newest allocation known ends at the bump for sure: after a
   * free of the one above it the bump is where that one started, past any
   * padding before it, so the newest one's size is not known exactly.
   */
  get exact(): boolean {
    return this.#n !== this.#popped;
  }

  /**
   * The first start known above `ptr`, or Infinity if none is: an
   * allocation at `ptr` ends there at the latest. (Starts only grow from
   * bottom to top: a push is at the bump, past every start kept.)
   */
  after(ptr: number): number {
    const starts = this.#starts, n = this.#n;
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= ptr) lo = mid + 1;
      else hi = mid;
    }
    return lo < n ? starts[lo] : Infinity;
  }

  /** Adds `ptr`, the newest allocation's start; it ends at the bump. */
  push(ptr: number): void {
    const n = this.#n, starts = this.#starts;
    if (n === starts.length) return this.#pushFull(ptr);
    starts[n] = ptr;
    this.#n = n + 1;
  }

  /**
   * Drops the newest start: its allocation was freed (so `last` named it, and
   * there is one to drop).
   */
  pop(): void {
    this.#popped = --this.#n;
  }

  /** The newest allocation was resized in place: it ends at the bump. */
  resized(): void {
    this.#popped = -1;
  }

  /** Forgets every start: none of them is to be freed any more. */
  forget(): void {
    this.#n = 0;
    this.#popped = -1;
  }

  // Every slot holds a start: double the array, or at the limit let the
  // older half go (an arena that only allocates comes here once every 512
  // allocations).
  #pushFull(ptr: number): void {
    let n = this.#n;
    if (n < TOP_STACK_LIMIT) {
      const starts = new Float64Array(n * 2);
      starts.set(this.#starts);
      this.#starts = starts;
    } else {
      this.#starts.copyWithin(0, n / 2);
      n /= 2;
      this.#popped = -1;
    }
    this.#starts[n] = ptr;
    this.#n = n + 1;
  }
}

/** How many allocation starts a {@linkcode TopStack} keeps at most (8 KiB). */
export const TOP_STACK_LIMIT = 1024;
