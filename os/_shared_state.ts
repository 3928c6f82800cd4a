// The state that the workers on one SharedPages share besides its runs
// (docs/design.md#workers): a lock, the destroyed flag, ids, which worker
// owns each page, and the remote frees waiting for each owner.
//
//   word 0 lock (0 free, 1 held, 2 held with waiters)   1 destroyed
//   word 2 last id handed out                           3 (unused)
//   owners[page]        the id of the worker whose run the page is in (0: none)
//   waiting[id]         pages marked for worker `id` since it last collected
//   summary[page/1024]  bit (page / 32) % 32: that word of `marked` may be set
//   marked[page / 32]   bit page % 32: the page has pending remote frees
//   pending[ptr / 512]  bit (ptr / 16) % 32: the block at ptr was freed remotely
//
// Everything but the lock is read with plain loads where a stale value is
// harmless (a hint to look), and written with Atomics.

/** The most workers (ids) that can share one SharedPages. */
export const MAX_IDS = 1024;

const LOCK = 0;
const DESTROYED = 1;
const LAST_ID = 2;
const HEADER_WORDS = 4;

// Whether this thread may block in Atomics.wait (a browser's main thread may
// not): learnt on the first contended lock.
let canWait: boolean | undefined;

/** Bytes of shared state for `pages` pages. */
export function sharedStateBytes(pages: number): number {
  return 4 * (HEADER_WORDS + pages + MAX_IDS + Math.ceil(pages / 1024) +
    Math.ceil(pages / 32) + pages * 8);
}

/** Views of the shared state of a SharedPages of `pages` pages. */
export class SharedState {
  readonly words: Int32Array;
  /** Per page: the id of the worker whose run it is in, or 0. */
  readonly owners: Int32Array;
  /** Per id: pages marked for it since its owner last collected. */
  readonly waiting: Int32Array;
  /** One bit per word of `marked`: it may have bits set. */
  readonly summary: Int32Array;
  /** One bit per page: it has pending remote frees. */
  readonly marked: Int32Array;
  /** One bit per 16 bytes: the block there was freed by another worker. */
  readonly pending: Int32Array;

  constructor(buffer: SharedArrayBuffer, pages: number) {
    let at = 0;
    const take = (words: number) => {
      const view = new Int32Array(buffer, at, words);
      at += words * 4;
      return view;
    };
    this.words = take(HEADER_WORDS);
    this.owners = take(pages);
    this.waiting = take(MAX_IDS);
    this.summary = take(Math.ceil(pages / 1024));
    this.marked = take(Math.ceil(pages / 32));
    this.pending = take(pages * 8);
  }

  /** Whether a worker destroyed the source (a plain load: a hint that is soon true everywhere). */
  get destroyed(): boolean {
    return this.words[DESTROYED] !== 0;
  }

  markDestroyed(): void {
    Atomics.store(this.words, DESTROYED, 1);
  }

  /** A new id, 1 to MAX_IDS - 1, or -1 when all are taken. */
  nextId(): number {
    const id = Atomics.add(this.words, LAST_ID, 1) + 1;
    return id < MAX_IDS ? id : -1;
  }

  /** Takes the lock: one compare-and-swap when nobody holds it. */
  lock(): void {
    const words = this.words;
    if (Atomics.compareExchange(words, LOCK, 0, 1) === 0) return;
    // Contended: mark it "held with waiters" and sleep until the holder's
    // unlock notifies (a futex-style mutex), or spin where we may not block.
    while (Atomics.exchange(words, LOCK, 2) !== 0) {
      if (canWait === false) continue;
      try {
        Atomics.wait(words, LOCK, 2, 10);
        canWait = true;
      } catch {
        canWait = false;
      }
    }
  }

  unlock(): void {
    if (Atomics.exchange(this.words, LOCK, 0) === 2) {
      Atomics.notify(this.words, LOCK, 1);
    }
  }

  /**
   * Sets the owner of `count` pages from `page` (under the lock). Pages given
   * back (id 0) forget their pending frees: a late remote free of a block in
   * them is refused as foreign, and the next owner starts clean.
   */
  own(page: number, count: number, id: number): void {
    // Loops: fill() on a shared buffer costs more than a few stores.
    const owners = this.owners, pending = this.pending;
    for (let p = page; p < page + count; p++) owners[p] = id;
    if (id !== 0) return;
    for (let w = page * 8; w < (page + count) * 8; w++) pending[w] = 0;
    for (let p = page; p < page + count; p++) {
      Atomics.and(this.marked, p >> 5, ~(1 << (p & 31)));
    }
  }
}
