// The pool's slab bookkeeping: the tables of slots, the partial and empty
// lists, taking slabs from the parent and giving them back by the decay
// rule. The Pool's fast paths read the tables directly (copies of the
// references, refreshed through `onChange` whenever a table is replaced,
// the current slab changes or the decay timer is set or fires); everything
// here is the slow side.
import type { Allocator } from "../os/allocator.ts";
import { OutOfMemoryError } from "../os/errors.ts";
import { MAX_DECAY_MS } from "../internal/options.ts";
import { grow } from "../internal/grow.ts";
import { unrefTimer } from "../internal/timers.ts";
import { emptyPageMap, mapSlabPages, type PageMap } from "./_page_map.ts";
// The row layout, as R.ROW, R.FREE_HEAD, …
import * as R from "./_slab_rows.ts";

// At most this many expired slabs go back to the parent when a slab empties;
// the timer gives back the rest.
const DECAY_SLABS = 8;

const descending = (a: number, b: number) => b - a;

/** What the tables need to know of their pool. */
export interface SlabsOptions {
  parent: Allocator;
  slabSize: number;
  blocksPerSlab: number;
  /** The blocks' alignment − 1, and the memory's address modulo it. */
  mask: number;
  bias: number;
  decayMs: number;
  clock: () => number;
  /**
   * Called whenever a table is replaced, the current slab changes or
   * `armed` does.
   */
  onChange: () => void;
  /**
   * Writes the current slab's free-list head and live count, which the
   * pool keeps outside the tables, back to its row: called before anything
   * here reads that row or changes the current slab.
   */
  flush: () => void;
  /** Whether the parent still owns the slabs (checked by the timer). */
  live: () => boolean;
}

/**
 * The slots of a pool: slot 0 is no slab (a full row, so the fast paths
 * fall through); each other slot holds a slab or is free for reuse.
 */
export class Slabs {
  meta: Int32Array = new Int32Array(R.ROW);
  first: Float64Array = new Float64Array(1); // each slot's block 0
  slab: Float64Array = new Float64Array(1); // each slab, as the parent gave it
  emptiedAt: Float64Array = new Float64Array(1); // when an empty slab emptied
  next: Uint16Array = new Uint16Array(0); // per block: next free, or LIVE
  map: PageMap = emptyPageMap();
  slots = 1; // slots in the tables (slot 0 included)
  cur = 0;
  partialHead = 0;
  emptyHead = 0; // the oldest empty slab
  emptyTail = 0; // the newest
  count = 0; // slabs held
  peakReserved = 0;
  #o: SlabsOptions;
  #freeSlots: number[] = [];
  // Whether slot 0's entries of `next` (no slab's) hold i + 1 at i: a
  // slab's free list in address order, which reset copies within `next`
  // (no view made per slab). Written at the first reset; growing `next`
  // copies it along.
  #chained = false;
  // The slabs made current since the last reset (and the one current at
  // it), in order and as a set: only these can hold live blocks, so reset
  // visits only them. Reset reuses these arrays: it makes no garbage (a
  // loop of small trees each dropped by a reset otherwise grows V8's heap).
  #touched: number[] = [];
  #touchedSet = new Set<number>();
  #emptied: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: SlabsOptions) {
    this.#o = options;
    this.armed = options.decayMs === Infinity;
    this.meta[R.FREE_HEAD] = R.END;
    this.meta[R.FRESH] = options.blocksPerSlab;
    this.meta[R.STATE] = R.FULL;
  }

  /** The empty slabs, the current one included if it is empty. */
  get emptySlabs(): number {
    this.#o.flush();
    let n = 0;
    for (let s = this.emptyHead; s !== 0; s = this.meta[s * R.ROW + R.NEXT]) {
      n++;
    }
    if (this.cur !== 0 && this.meta[this.cur * R.ROW + R.USED] === 0) n++;
    return n;
  }

  /**
   * Whether the decay timer is set (or never needed: decayMs Infinity):
   * the pool's free fast path keeps a copy, refreshed by `onChange`.
   */
  armed: boolean;

  /** Slab `s`'s used count just reached 0 or fell below full. */
  changed(s: number, used: number): void {
    const m = this.meta;
    const row = s * R.ROW;
    if (used === 0) {
      // The current slab stays current; the timer retires it if it stays
      // empty.
      if (s === this.cur) {
        if (this.#timer === undefined && this.#o.decayMs !== Infinity) {
          this.#arm();
        }
        return;
      }
      if (m[row + R.STATE] === R.PARTIAL) this.#unlinkPartial(s);
      this.#retire(s);
      return;
    }
    if (s !== this.cur) {
      // It was full: now it has a free block.
      m[row + R.STATE] = R.PARTIAL;
      m[row + R.PREV] = 0;
      m[row + R.NEXT] = this.partialHead;
      if (this.partialHead !== 0) m[this.partialHead * R.ROW + R.PREV] = s;
      this.partialHead = s;
    }
  }

  /**
   * Makes a slab with room current: one with free blocks, else the newest
   * empty one, else a new one from the parent. The old current slab is full.
   */
  nextSlab(): void {
    this.#o.flush();
    let s = this.partialHead;
    if (s !== 0) this.#unlinkPartial(s);
    else if ((s = this.emptyTail) !== 0) this.#unlinkEmpty(s);
    else s = this.#takeSlab();
    const m = this.meta; // (taking a slab may have grown the tables)
    if (this.cur !== 0) m[this.cur * R.ROW + R.STATE] = R.FULL;
    m[s * R.ROW + R.STATE] = R.CURRENT;
    this.cur = s;
    this.#touch(s);
    this.#o.onChange();
  }

  /** Gives every empty slab back, the current one too; returns the bytes. */
  trim(): number {
    this.#o.flush();
    let bytes = 0;
    const cur = this.cur;
    if (cur !== 0 && this.meta[cur * R.ROW + R.USED] === 0) {
      this.cur = 0;
      this.#o.onChange();
      this.#giveBack(cur);
      bytes += this.#o.slabSize;
    }
    return bytes + this.#decay(Infinity, Infinity);
  }

  /**
   * Empties every slab at once: in each slab with live blocks, every block
   * it has handed out goes on its free list in address order (one copy
   * within `next`, which also clears the live marks), and the slab
   * is retired like one whose last block was freed — the current one stays
   * current, the others go on the empty list (the lowest slot newest, so
   * it is reused first) and decay from now. Slabs already empty are left,
   * and not visited: the cost is in the slabs used since the last reset.
   */
  reset(): void {
    this.#o.flush();
    const m = this.meta, next = this.next, n = this.#o.blocksPerSlab;
    if (!this.#chained && this.slots > 1) {
      for (let i = 0; i < n; i++) next[i] = i + 1;
      this.#chained = true;
    }
    const touched = this.#touched, emptied = this.#emptied;
    for (let k = 0; k < touched.length; k++) {
      const s = touched[k];
      const row = s * R.ROW;
      if (m[row + R.STATE] === R.NO_SLAB || m[row + R.USED] === 0) continue;
      const fresh = m[row + R.FRESH]; // at least 1: a block is live
      next.copyWithin(s * n, 0, fresh);
      next[s * n + fresh - 1] = R.END;
      m[row + R.FREE_HEAD] = 0;
      m[row + R.USED] = 0;
      if (s !== this.cur) emptied.push(s);
    }
    // (Left as they are when they hold just the current slab, the usual
    // case of small trees: clearing a set allocates.)
    if (touched.length !== 1 || touched[0] !== this.cur) {
      touched.length = 0;
      this.#touchedSet.clear();
      if (this.cur !== 0) this.#touch(this.cur);
    }
    // Every slab on the partial list had live blocks: each is retired now.
    this.partialHead = 0;
    if (emptied.length > 1) emptied.sort(descending);
    for (let k = 0; k < emptied.length; k++) this.#retire(emptied[k]);
    emptied.length = 0;
    if (this.cur !== 0) this.changed(this.cur, 0);
  }

  #touch(s: number): void {
    if (this.#touchedSet.has(s)) return;
    this.#touchedSet.add(s);
    this.#touched.push(s);
  }

  /**
   * Forgets every slab (the fast paths fall through to the checks) and
   * returns where each one is, for the caller to give back; the timer stops.
   */
  clear(): number[] {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#touched.length = 0;
    this.#touchedSet.clear();
    const slabs: number[] = [];
    for (let s = 1; s < this.slots; s++) {
      if (this.meta[s * R.ROW + R.STATE] !== R.NO_SLAB) {
        slabs.push(this.slab[s]);
      }
    }
    this.cur =
      this.partialHead =
      this.emptyHead =
      this.emptyTail =
        0;
    this.count = 0;
    this.map = emptyPageMap();
    this.#o.onChange();
    return slabs;
  }

  // Puts an empty slab (on no list) on the empty list, newest last, and
  // gives back the slabs that have been empty too long.
  #retire(s: number): void {
    const m = this.meta;
    const row = s * R.ROW;
    const now = this.#o.clock();
    m[row + R.STATE] = R.EMPTY;
    m[row + R.NEXT] = 0;
    m[row + R.PREV] = this.emptyTail;
    if (this.emptyTail !== 0) m[this.emptyTail * R.ROW + R.NEXT] = s;
    else this.emptyHead = s;
    this.emptyTail = s;
    this.emptiedAt[s] = now;
    this.#decay(now, DECAY_SLABS);
    if (this.#timer === undefined && this.emptyHead !== 0) this.#arm();
  }

  // Gives back at most `count` slabs empty for longer than decayMs by `now`,
  // oldest first.
  #decay(now: number, count: number): number {
    let bytes = 0;
    const expired = now - this.#o.decayMs;
    for (let s = this.emptyHead; s !== 0 && count-- > 0; s = this.emptyHead) {
      if (this.emptiedAt[s] > expired) break;
      this.#unlinkEmpty(s);
      this.#giveBack(s);
      bytes += this.#o.slabSize;
    }
    return bytes;
  }

  // The timer (it does not keep the process alive): when the oldest empty
  // slab is due, or after decayMs for a current slab that emptied, it
  // retires the current slab if it is empty and gives back what is due.
  #arm(): void {
    const { decayMs, clock } = this.#o;
    if (decayMs === Infinity || this.#stopped) return;
    const now = clock();
    const due = this.emptyHead !== 0
      ? this.emptiedAt[this.emptyHead] + decayMs
      : now + decayMs;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.armed = false;
      this.#o.onChange();
      if (this.#stopped || !this.#o.live()) return;
      // A timer must not throw (it would end the process): a parent that
      // refuses the slabs keeps them, as one destroyed meanwhile does.
      try {
        this.#o.flush();
        const cur = this.cur;
        if (cur !== 0 && this.meta[cur * R.ROW + R.USED] === 0) {
          this.cur = 0;
          this.#o.onChange();
          this.#retire(cur);
        }
        this.#decay(clock(), Infinity);
      } catch {
        return;
      }
      if (this.emptyHead !== 0 && this.#timer === undefined) this.#arm();
    }, Math.min(Math.max(0, due - now) + 1, MAX_DECAY_MS));
    unrefTimer(timer);
    this.#timer = timer;
    this.armed = true;
    this.#o.onChange();
  }

  #unlinkPartial(s: number): void {
    const m = this.meta;
    const prev = m[s * R.ROW + R.PREV], next = m[s * R.ROW + R.NEXT];
    if (prev !== 0) m[prev * R.ROW + R.NEXT] = next;
    else this.partialHead = next;
    if (next !== 0) m[next * R.ROW + R.PREV] = prev;
  }

  #unlinkEmpty(s: number): void {
    const m = this.meta;
    const prev = m[s * R.ROW + R.PREV], next = m[s * R.ROW + R.NEXT];
    if (prev !== 0) m[prev * R.ROW + R.NEXT] = next;
    else this.emptyHead = next;
    if (next !== 0) m[next * R.ROW + R.PREV] = prev;
    else this.emptyTail = prev;
  }

  // Takes a new slab from the parent into a free slot.
  #takeSlab(): number {
    const { parent, slabSize, blocksPerSlab: n, mask, bias } = this.#o;
    let ptr: number;
    try {
      ptr = parent.alloc(slabSize);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e;
      throw new OutOfMemoryError(
        `Out of memory: the parent has no room for a slab of ${slabSize} bytes (the pool reserves ${
          this.count * slabSize
        } bytes in ${this.count} slabs); give the pool a parent with more room`,
        slabSize,
      );
    }
    const s = this.#freeSlots.pop() ?? this.#addSlot();
    const first = ptr + (-(ptr + bias) & mask);
    this.first[s] = first;
    this.slab[s] = ptr;
    const m = this.meta;
    const row = s * R.ROW;
    m[row + R.FREE_HEAD] = R.END;
    m[row + R.FRESH] = 0;
    m[row + R.USED] = 0;
    m[row + R.STATE] = R.FULL; // on no list, until it is made current
    m[row + R.PREV] = m[row + R.NEXT] = 0;
    this.next.fill(R.END, s * n, s * n + n);
    mapSlabPages(this.map, s, ptr, first, slabSize, s);
    this.count++;
    this.peakReserved = Math.max(this.peakReserved, this.count * slabSize);
    this.#o.onChange();
    return s;
  }

  // A new slot at the end of the tables, which double when full.
  #addSlot(): number {
    const s = this.slots++;
    if (s >= this.first.length) {
      const slots = 2 * this.first.length;
      this.meta = grow(this.meta, new Int32Array(slots * R.ROW));
      this.first = grow(this.first, new Float64Array(slots));
      this.slab = grow(this.slab, new Float64Array(slots));
      this.emptiedAt = grow(this.emptiedAt, new Float64Array(slots));
      this.next = grow(
        this.next,
        new Uint16Array(slots * this.#o.blocksPerSlab),
      );
    }
    return s;
  }

  // Gives the slab in slot `s` (on no list, not current) back to the parent.
  #giveBack(s: number): void {
    const ptr = this.slab[s];
    mapSlabPages(this.map, s, ptr, this.first[s], this.#o.slabSize, 0);
    this.count--;
    this.#freeSlots.push(s);
    this.meta[s * R.ROW + R.STATE] = R.NO_SLAB;
    this.#o.parent.free(ptr, this.#o.slabSize);
  }
}
