// How a page source keeps freed pages for reuse and gives them back
// (docs/design.md#decay): the clock, the incremental ticks of alloc and free,
// the idle timer and the retention budget. It decides which runs go back and
// when; PageRuns keeps the runs, and the page source's `release` gives pages
// to the system.
import type { PageRuns } from "./_page_runs.ts";
import { type KeepOptions, saneClock } from "../internal/options.ts";
import { PAGE_SIZE } from "../internal/pages.ts";
import { unrefTimer } from "../internal/timers.ts";

/**
 * The default `decayMs` of native page sources: one
 * second (docs/design.md#decay).
 *
 * @example
 * ```ts
 * import { DEFAULT_DECAY_MS, OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new OsPages({ reserve: 2 ** 20 }); // needs --allow-ffi
 * assert.equal(pages.decayMs, DEFAULT_DECAY_MS);
 * ```
 */
export const DEFAULT_DECAY_MS = 1000;

// Every this many allocations and frees, the clock is read and the pages
// idle longer than the decay time are given back, at most this many runs.
const TICK_CALLS = 128;
const TICK_RUNS = 8;

/** What a {@linkcode Decay} calls on its page source. */
export interface DecayHooks {
  /** Gives whole pages back to the system (or zeroes them). */
  release(ptr: number, length: number): void;
  /**
   * The page source's own `decay()`, for the timer: it runs under whatever
   * lock the source takes (shared pages take their cross-worker lock), and
   * throws if the source was destroyed (by another worker too).
   */
  expire(): void;
}

/** The retention policy of one page source, over its runs. */
export class Decay {
  /** How long freed pages stay ready for reuse, in milliseconds. */
  readonly decayMs: number;
  /** The most bytes of freed pages kept for reuse. */
  readonly retain: number;
  /** Whether nothing is kept: every freed page goes back at once. */
  readonly keepNone: boolean;
  /**
   * The clock as last read (by a free, a tick, the timer or decay()); runs
   * freed are stamped by {@linkcode Decay.stamp}, which says when it is
   * read again.
   */
  now: number;
  #runs: PageRuns;
  #release: (ptr: number, length: number) => void;
  #expire: () => void;
  #clock: () => number;
  #ticks = TICK_CALLS;
  // Whether the clock is the caller's: then every free reads it.
  #ownClock: boolean;
  // When this source was made: no run counts as freed before (a run of
  // shared runs may have been freed, unstamped, by an instance with no decay
  // before any instance decayed).
  #since: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(runs: PageRuns, options: KeepOptions, hooks: DecayHooks) {
    const decayMs = options.decayMs ?? DEFAULT_DECAY_MS;
    const retain = options.retain ?? Infinity;
    this.decayMs = decayMs;
    this.retain = retain;
    this.keepNone = decayMs === 0 || retain < PAGE_SIZE;
    this.#runs = runs;
    this.#release = hooks.release;
    this.#expire = hooks.expire;
    // A caller's clock is checked when the source is made; later readings
    // are sane ones.
    this.#clock = saneClock(options.clock);
    this.now = this.#since = this.#clock();
    this.#ownClock = options.clock !== undefined;
    if (decayMs !== Infinity) runs.noteDecaying();
  }

  /**
   * The time to stamp runs freed now with. With nothing armed (nothing kept,
   * so the last reading may be from before an idle spell) the clock read
   * now; while the timer is armed, the last reading, which the timer renews
   * at least every quarter of the decay time, so that a run is kept at least
   * three quarters of it while the event loop runs (a reading per free
   * cost ~90 ns, as much as the rest of a page source's free). A clock of
   * the caller's (a test's fake one, moved by hand) is read at every free.
   * With no decay the stamps need only keep their order — unless another
   * source on the same (shared) runs decays them by these stamps: then every
   * free reads the clock.
   */
  stamp(): number {
    if (
      this.decayMs !== Infinity
        ? this.#timer === undefined || this.#ownClock
        : this.#runs.decaying
    ) this.now = this.#clock();
    return this.now;
  }

  /**
   * Counts one allocation or free: every 128th reads the clock and gives
   * back a few expired runs.
   */
  count(): void {
    if (--this.#ticks === 0) this.#tick();
  }

  /**
   * Frees the live run at `start`: kept for reuse, or given back at once
   * when nothing is kept. Counts as a call.
   */
  give(start: number, pages: number): void {
    if (--this.#ticks === 0) this.#tick();
    if (this.keepNone) {
      this.#release(start * PAGE_SIZE, pages * PAGE_SIZE);
      this.#runs.giveClean(start, pages);
      return;
    }
    this.#runs.give(start, pages, this.stamp());
    this.retained();
  }

  /**
   * Pages were just kept for reuse: holds them to the byte budget, and makes
   * sure the timer will give them back when they have been idle too long.
   */
  retained(): void {
    const runs = this.#runs;
    while (runs.dirtyPages * PAGE_SIZE > this.retain) {
      const excess = runs.dirtyPages - Math.floor(this.retain / PAGE_SIZE);
      this.#purge(runs.oldestDirty, excess);
    }
    if (this.#timer === undefined && runs.dirtyPages !== 0) this.#arm();
  }

  /**
   * Gives back at most `runs` runs idle longer than the decay time, by the
   * clock read now; returns the bytes given back.
   */
  decay(runs = Infinity): number {
    this.now = this.#clock();
    const before = this.#runs.dirtyPages;
    const expired = this.now - this.decayMs;
    for (let start = this.#runs.oldestDirty; start !== 0 && runs-- > 0;) {
      if (this.#freedAt(start) > expired) break;
      this.#purge(start, Infinity);
      start = this.#runs.oldestDirty;
    }
    // Armed here, while the caller holds the source's lock, if any: the
    // runs' list is only read under it.
    if (this.#timer === undefined && this.#runs.dirtyPages !== 0) this.#arm();
    return (before - this.#runs.dirtyPages) * PAGE_SIZE;
  }

  /** Gives back every freed page kept for reuse, however recent. */
  purge(): void {
    const runs = this.#runs;
    while (runs.oldestDirty !== 0) this.#purge(runs.oldestDirty, Infinity);
  }

  /** Stops the timer for good (the page source is destroyed). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  // The incremental step. With no decay time there is nothing to expire, and
  // the time stamps of freed runs need only keep their order, which they do
  // unread.
  #tick(): void {
    this.#ticks = this.decayMs === Infinity ? 2 ** 30 : TICK_CALLS;
    if (this.decayMs !== Infinity) this.decay(TICK_RUNS);
  }

  // Sets the timer for when the oldest kept run will have been idle for the
  // decay time, or a quarter of it from now if that is sooner: its decay()
  // renews the reading that frees stamp runs with. It does not keep the
  // process alive.
  #arm(): void {
    if (this.decayMs === Infinity || this.#stopped) return;
    const due = this.#freedAt(this.#runs.oldestDirty) + this.decayMs;
    // (Read just before by the free or the decay() that arms it.)
    const wait = Math.min(Math.max(0, due - this.now), this.decayMs / 4);
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped) return;
      try {
        this.#expire(); // decay() under the source's lock; it re-arms
      } catch {
        // Destroyed meanwhile (shared pages, by another worker): nothing
        // is left to give back, and a timer must not throw.
      }
    }, wait + 1);
    unrefTimer(timer);
    this.#timer = timer;
  }

  // When the dirty run at `start` was freed, as far as this source can tell.
  #freedAt(start: number): number {
    return Math.max(this.#runs.freedAt(start), this.#since);
  }

  // Gives back up to `pages` pages at the front of the dirty run at `start`.
  #purge(start: number, pages: number): void {
    const n = Math.min(pages, this.#runs.freeRun(start));
    this.#release(start * PAGE_SIZE, n * PAGE_SIZE);
    this.#runs.markClean(start, n);
  }
}
