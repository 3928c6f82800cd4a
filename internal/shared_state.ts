// The state that the workers on one SharedPages share besides its runs
// (docs/design.md#remote-frees): a lock, the destroyed flag and who set it, ids, which
// worker owns each page, and the remote frees waiting for each owner.
//
//   word 0 lock (0 free, 1 held, 2 held with waiters)   1 destroyed (never reset)
//   word 2 unused                                       3 the id that destroyed it (0: none)
//   owners[page]          bits 0..9: the id of the worker whose run the page is in
//                         (0: none); above: how many times the page was taken
//   heaps[id / 32]        bit id % 32: instance `id` has a WorkerHeap
//   ids[id / 32]          bit id % 32: an instance holds id `id` (given back by close())
//   waiting[id]           pages newly marked for `id` since it last collected
//   summaries[id][m / 32] bit m % 32: word m of `marked` may hold a page of id's
//   marked[page / 32]     bit page % 32: the page has pending remote frees
//   pending[pendingWord(ptr)]  pendingBit(ptr): the block at ptr was freed remotely
//
// Each id has a summary of its own, which only its owner clears: a collector
// never hides another heap's marks (docs/design.md#remote-frees says why the
// order of the three marks makes every finished remote free visible to the
// next collect). Plain loads read only hints (owners, destroyed); every bit
// of the remote-free protocol is read and written with Atomics.
import { PAGE_SIZE } from "./pages.ts";

/**
 * Each SharedPages instance's view of the state, which its WorkerHeap uses
 * too (one `dropped` list between them).
 */
export const instanceState = new WeakMap<object, SharedState>();

/** The most workers (ids) that can share one SharedPages. */
export const MAX_IDS = 1024;
/** The bits of an `owners` word that hold the id. */
export const ID_MASK = MAX_IDS - 1;
// An owners word above its id counts the page's takings (mod 2^21): a
// remote free that read the word before the page went back and was taken
// again — by a new heap with the same id, once ids are reused — sees it
// changed (SharedState.markFreed), where the id alone would match.
const TAKEN_ONE = MAX_IDS;
const TAKEN_MASK = 0x7fffffff & ~ID_MASK;

/** Bytes per pending bit: a remote free can name any 16-byte-aligned block. */
export const GRAIN = 16;
/** Pending words per page: one bit per grain. */
export const PAGE_WORDS = PAGE_SIZE / GRAIN / 32;

/** What {@linkcode SharedState.markFreed} did: the block is marked freed. */
export const MARKED = 1;
/** The block was marked freed already (not yet collected): a double free. */
export const ALREADY_FREED = 0;
/** The block's page went back to the source meanwhile: nothing marked. */
export const GIVEN_BACK = -1;

/** The word of `pending` that holds the bit of the block at `ptr`. */
export function pendingWord(ptr: number): number {
  return Math.floor(ptr / (GRAIN * 32));
}

/** The bit of the block at `ptr` in its word of `pending`. */
export function pendingBit(ptr: number): number {
  return 1 << ((ptr / GRAIN) & 31);
}

/** The block whose bit is `bit` (a single set bit) of pending word `word`. */
export function pendingBlock(word: number, bit: number): number {
  return (word * 32 + 31 - Math.clz32(bit)) * GRAIN;
}

const LOCK = 0;
const DESTROYED = 1;
const DESTROYER = 3;
const HEADER_WORDS = 4;
// Spins of a thread that may not block before it retries the lock, at most.
const MAX_SPINS = 1 << 10;

// Whether this thread may block in Atomics.wait (a browser's main thread may
// not): learnt on the first contended lock.
let canWait: boolean | undefined;

/** Words of `marked` for `pages` pages, and words of one id's summary. */
function sizes(pages: number): { marked: number; summary: number } {
  const marked = Math.ceil(pages / 32);
  return { marked, summary: Math.ceil(marked / 32) };
}

/** Bytes of shared state for `pages` pages. */
export function sharedStateBytes(pages: number): number {
  const { marked, summary } = sizes(pages);
  return 4 * (HEADER_WORDS + pages + 2 * (MAX_IDS / 32) + MAX_IDS +
    MAX_IDS * summary + marked + pages * PAGE_WORDS);
}

/** Views of the shared state of a SharedPages of `pages` pages. */
export class SharedState {
  readonly words: Int32Array;
  /**
   * Per page: the id of the worker whose run it is in, or 0, in the bits of
   * {@linkcode ID_MASK}; the bits above count the page's takings.
   */
  readonly owners: Int32Array;
  /** One bit per id: that instance has a WorkerHeap (remote frees go to it). */
  readonly heaps: Int32Array;
  /** One bit per id: an instance holds it. */
  readonly ids: Int32Array;
  /** Per id: pages newly marked for it since its owner last collected. */
  readonly waiting: Int32Array;
  /** Per id, `summaryWords` words: one bit per word of `marked`. */
  readonly summaries: Int32Array;
  /** One bit per page: it has pending remote frees. */
  readonly marked: Int32Array;
  /** One bit per 16 bytes: the block there was freed by another worker. */
  readonly pending: Int32Array;
  /** Words in one id's summary. */
  readonly summaryWords: number;
  /** The id of the instance this view is of (0: none, a WorkerHeap's own). */
  self = 0;
  /**
   * Remote frees of this instance's blocks dropped uncollected when its own
   * pages went back to the source: pairs of the block and 1 if it was the
   * start of the run given back (0 inside it), for its heap's next collect
   * to refuse.
   */
  readonly dropped: number[] = [];
  // The pending words of one collect, all taken before any block is freed:
  // pairs of a word's index and its bits.
  #taken = new Int32Array(2 * PAGE_WORDS);

  constructor(buffer: SharedArrayBuffer, pages: number) {
    const { marked, summary } = sizes(pages);
    let at = 0;
    const take = (words: number) => {
      const view = new Int32Array(buffer, at, words);
      at += words * 4;
      return view;
    };
    this.words = take(HEADER_WORDS);
    this.owners = take(pages);
    this.heaps = take(MAX_IDS / 32);
    this.ids = take(MAX_IDS / 32);
    this.waiting = take(MAX_IDS);
    this.summaries = take(MAX_IDS * summary);
    this.marked = take(marked);
    this.pending = take(pages * PAGE_WORDS);
    this.summaryWords = summary;
  }

  /** Whether a worker destroyed the source (a plain load: a hint that is soon true everywhere). */
  get destroyed(): boolean {
    return this.words[DESTROYED] !== 0;
  }

  /**
   * The id of the instance that destroyed the source, or 0 while none has:
   * the one record every instance and WorkerHeap reads to tell its own
   * destroy from another's.
   */
  get destroyer(): number {
    return Atomics.load(this.words, DESTROYER);
  }

  /**
   * Records instance `id` as the destroyer (the first one, if two race) and
   * sets the destroyed flag, in that order, so that whoever sees the flag
   * finds the destroyer; then sends every instance's WorkerHeap to its
   * slow path, where it reads the flag: a count in `waiting` (its next
   * alloc collects) and no page owned (its next free of a block of its own
   * is a remote free, which checks the flag). No fast path reads the flag.
   */
  markDestroyed(id: number): void {
    Atomics.compareExchange(this.words, DESTROYER, 0, id);
    Atomics.store(this.words, DESTROYED, 1);
    const owners = this.owners;
    for (let p = 0; p < owners.length; p++) owners[p] = 0;
    for (let id = 1; id < MAX_IDS; id++) {
      if (this.hasHeap(id)) Atomics.add(this.waiting, id, 1);
    }
  }

  /**
   * A new id, the lowest free one from 1 to MAX_IDS - 1 (taken with a
   * compare-and-swap, as instances attach in any worker), or -1 when all
   * are held.
   */
  nextId(): number {
    const ids = this.ids;
    for (let w = 0; w < ids.length; w++) {
      for (;;) {
        const bits = Atomics.load(ids, w);
        const free = ~bits & (w === 0 ? ~1 : -1); // (id 0 is no instance's)
        if (free === 0) break;
        const bit = free & -free;
        if (Atomics.compareExchange(ids, w, bits, bits | bit) === bits) {
          return w * 32 + 31 - Math.clz32(bit);
        }
      }
    }
    return -1;
  }

  /**
   * Gives id `id` back (under the lock, its instance closing: it owns no
   * page and has no WorkerHeap), its count and summary cleared, so that the
   * next instance to take it starts clean.
   */
  releaseId(id: number): void {
    Atomics.store(this.waiting, id, 0);
    const base = id * this.summaryWords;
    for (let s = 0; s < this.summaryWords; s++) {
      Atomics.store(this.summaries, base + s, 0);
    }
    this.setHeap(id, false);
    Atomics.and(this.ids, id >> 5, ~(1 << (id & 31)));
  }

  /** How many pages instance `id` owns (a full scan; under the lock). */
  pagesOwnedBy(id: number): number {
    const owners = this.owners;
    let n = 0;
    for (let p = 0; p < owners.length; p++) {
      if ((owners[p] & ID_MASK) === id) n++;
    }
    return n;
  }

  /**
   * Takes the lock: one compare-and-swap when nobody holds it. Returns
   * false, not holding it, if the source is destroyed while it waits.
   */
  lock(): boolean {
    const words = this.words;
    if (Atomics.compareExchange(words, LOCK, 0, 1) === 0) return true;
    // Contended: mark it "held with waiters" and sleep until the holder's
    // unlock notifies (a futex-style mutex); where the thread may not block,
    // spin on loads with a doubling back-off before trying again. A source
    // destroyed meanwhile ends the wait without the lock: its holder may
    // never let go (a worker stopped inside a call), and the caller is
    // refused either way.
    let spins = 1;
    while (Atomics.exchange(words, LOCK, 2) !== 0) {
      if (Atomics.load(words, DESTROYED) !== 0) return false;
      if (canWait !== false) {
        try {
          Atomics.wait(words, LOCK, 2, 10);
          canWait = true;
          continue;
        } catch {
          canWait = false;
        }
      }
      for (let i = 0; i < spins && Atomics.load(words, LOCK) !== 0; i++);
      if (spins < MAX_SPINS) spins *= 2;
    }
    return true;
  }

  unlock(): void {
    if (Atomics.exchange(this.words, LOCK, 0) === 2) {
      Atomics.notify(this.words, LOCK, 1);
    }
  }

  /** Marks instance `id` as having a WorkerHeap, or (`has` false) none now. */
  setHeap(id: number, has: boolean): void {
    const bit = 1 << (id & 31);
    if (has) Atomics.or(this.heaps, id >> 5, bit);
    else Atomics.and(this.heaps, id >> 5, ~bit);
  }

  /**
   * Whether instance `id` has a WorkerHeap: a run of an instance without one
   * holds no heap blocks, so a remote free into it is foreign at once.
   */
  hasHeap(id: number): boolean {
    return (Atomics.load(this.heaps, id >> 5) & (1 << (id & 31))) !== 0;
  }

  /**
   * Sets the owner of `count` pages from `page` (under the lock). Pages given
   * back (id 0) forget their pending frees, so the next owner starts clean:
   * a later remote free of a block in them is refused as foreign, and those
   * still uncollected in this instance's own pages are kept in `dropped`
   * for its heap to refuse.
   *
   * A remote free races this without the lock: it sets its block's bit,
   * then reads the owner word again (see markFreed). So the owner goes to 0
   * first (the takings count kept), and every pending word is taken after:
   * a bit set before that read saw the old word is taken here (and refused
   * by this heap); one set after sees the word changed and is taken back
   * by its freeing worker, never left to a later owner of the page, whose
   * live block it would free. Taking pages counts one more taking.
   */
  own(page: number, count: number, id: number): void {
    const owners = this.owners;
    if (id !== 0) {
      for (let p = page; p < page + count; p++) {
        owners[p] = ((owners[p] + TAKEN_ONE) & TAKEN_MASK) | id;
      }
      return;
    }
    const { pending, marked, dropped, self } = this;
    const start = page * PAGE_SIZE;
    for (let p = page; p < page + count; p++) {
      const word = owners[p]; // (only the lock's holder writes it)
      Atomics.store(owners, p, word & TAKEN_MASK);
      const ours = (word & ID_MASK) === self && self !== 0;
      const first = p * PAGE_WORDS;
      for (let w = first; w < first + PAGE_WORDS; w++) {
        // (A word that reads 0 here gets a bit only from a free that then
        // sees the owner word changed.)
        if (Atomics.load(pending, w) === 0) continue;
        for (
          let bits = Atomics.exchange(pending, w, 0);
          ours && bits !== 0;
          bits &= bits - 1
        ) {
          const block = pendingBlock(w, bits & -bits);
          dropped.push(block, block === start ? 1 : 0);
        }
      }
      Atomics.and(marked, p >> 5, ~(1 << (p & 31)));
    }
  }

  /**
   * The remote free of the block at `ptr`, whose page's owners word read
   * `ownerWord` (its owner's id, and how many times the page was taken):
   * sets its pending bit, checks that the word is unchanged — the same
   * owner, and the page not given back and taken again since — then sets
   * the page's bit in `marked`, then that word's bit in the owner's
   * summary, and counts a
   * newly marked page in `waiting[owner]` last. Mostly one atomic write and
   * three atomic loads. Returns {@linkcode ALREADY_FREED}, changing nothing,
   * if the block's bit was set already (freed remotely before and not yet
   * collected), and {@linkcode GIVEN_BACK}, its bit taken back, if the page
   * went back to the source before anyone took the bit (the owner freed the
   * block itself, or destroyed its heap).
   */
  markFreed(ptr: number, ownerWord: number): number {
    const owner = ownerWord & ID_MASK;
    const bit = pendingBit(ptr), word = pendingWord(ptr);
    if ((Atomics.or(this.pending, word, bit) & bit) !== 0) {
      return ALREADY_FREED;
    }
    const page = Math.floor(ptr / PAGE_SIZE);
    if (Atomics.load(this.owners, page) !== ownerWord) {
      // Taken already — by the owner's collect (which freed the block, and
      // may have given its pages back since), or by the give-back, for the
      // owner to refuse: the free is done, or reported there.
      if ((Atomics.and(this.pending, word, ~bit) & bit) === 0) return MARKED;
      return GIVEN_BACK;
    }
    const m = page >> 5, pageBit = 1 << (page & 31);
    const marked = this.marked;
    const newly = (Atomics.load(marked, m) & pageBit) === 0 &&
      (Atomics.or(marked, m, pageBit) & pageBit) === 0;
    const s = owner * this.summaryWords + (m >> 5), sBit = 1 << (m & 31);
    if ((Atomics.load(this.summaries, s) & sBit) === 0) {
      Atomics.or(this.summaries, s, sBit);
    }
    // Not only for a newly marked page: a mark left by a free that passed
    // the owner check just before the page went back would keep the next
    // owner's frees there from being counted.
    if (newly || Atomics.load(this.waiting, owner) === 0) {
      Atomics.add(this.waiting, owner, 1);
    }
    return MARKED;
  }

  /**
   * Takes every remote free of `id`'s blocks marked before the call and
   * hands each block to `free` (which must not throw, and returns 1 if it
   * took the block back, 0 if it refused it), in the owner's
   * thread. Its count goes to zero first and each summary word is taken
   * whole before its words of `marked` are read. Every page's pending words
   * are taken before any block is freed: a free may hand pages back to the
   * source (a large block's, a span's), which clears their pending bits, so
   * a bit still to be read there — a refused free inside that block — would
   * be lost, and another worker may reuse the pages.
   *
   * @returns How many blocks `free` took back.
   */
  collect(id: number, free: (ptr: number) => number): number {
    const { summaries, marked, pending, owners } = this;
    let taken = this.#taken;
    Atomics.store(this.waiting, id, 0);
    let count = 0;
    const base = id * this.summaryWords;
    for (let s = 0; s < this.summaryWords; s++) {
      if (Atomics.load(summaries, base + s) === 0) continue;
      let words = Atomics.exchange(summaries, base + s, 0);
      while (words !== 0) {
        const wordBit = words & -words;
        words ^= wordBit;
        const m = s * 32 + 31 - Math.clz32(wordBit);
        let pages = Atomics.load(marked, m);
        while (pages !== 0) {
          const pageBit = pages & -pages;
          pages ^= pageBit;
          const page = m * 32 + 31 - Math.clz32(pageBit);
          if ((owners[page] & ID_MASK) !== id) continue;
          Atomics.and(marked, m, ~pageBit);
          const first = page * PAGE_WORDS;
          for (let k = 0; k < PAGE_WORDS; k++) {
            const bits = Atomics.exchange(pending, first + k, 0);
            if (bits === 0) continue;
            if (count === taken.length) taken = this.#grow();
            taken[count] = first + k;
            taken[count + 1] = bits;
            count += 2;
          }
        }
      }
    }
    let n = 0;
    for (let i = 0; i < count; i += 2) {
      const word = taken[i];
      for (let bits = taken[i + 1]; bits !== 0; bits &= bits - 1) {
        n += free(pendingBlock(word, bits & -bits));
      }
    }
    return n;
  }

  // Twice the room for taken words, keeping those taken so far.
  #grow(): Int32Array<ArrayBuffer> {
    const more = new Int32Array(2 * this.#taken.length);
    more.set(this.#taken);
    return this.#taken = more;
  }

  /** Remote frees of `id`'s blocks not yet collected (a full scan). */
  waitingFor(id: number): number {
    const { marked, pending, owners } = this;
    let n = 0;
    for (let page = 0; page < owners.length; page++) {
      if ((Atomics.load(marked, page >> 5) & (1 << (page & 31))) === 0) {
        continue;
      }
      if ((owners[page] & ID_MASK) !== id) continue;
      const first = page * PAGE_WORDS;
      for (let w = first; w < first + PAGE_WORDS; w++) {
        for (
          let bits = Atomics.load(pending, w);
          bits !== 0;
          bits &= bits - 1
        ) {
          n++;
        }
      }
    }
    return n;
  }
}
