// Checking a page source's options before it takes any resource.
import { checkNumber, checkSize, kindOf } from "./checks.ts";
import { MAX_RESERVE, PAGE_SIZE } from "./pages.ts";

/** The options about keeping freed pages, of a page source or a heap. */
export interface KeepOptions {
  decayMs?: number;
  retain?: number;
  clock?: () => number;
}

/** Rounds a reservation up to whole pages and checks it. */
export function reservePages(reserve: number): number {
  checkSize(reserve, MAX_RESERVE, "Reservation", "the largest reservation");
  const pages = Math.ceil(reserve / PAGE_SIZE);
  if (pages < 2) {
    throw new RangeError(
      `Reservation ${reserve} is too small: it needs at least 2 pages (8192 bytes), as page 0 is never handed out`,
    );
  }
  return pages;
}

/**
 * The longest finite decay time: the longest delay a timer takes (the
 * engines cut a longer one to 1 ms, so that a decay of 2^32 ms gave memory
 * back at once), about 24.8 days.
 */
export const MAX_DECAY_MS = 2 ** 31 - 1;

/** Throws unless the options about keeping freed pages are usable. */
export function checkKeepOptions(options: KeepOptions): void {
  const { decayMs, retain, clock } = options;
  if (
    decayMs !== undefined &&
    !(typeof decayMs === "number" &&
      (decayMs >= 0 && decayMs <= MAX_DECAY_MS || decayMs === Infinity))
  ) {
    checkNumber(decayMs, "Decay time");
    throw new RangeError(
      `Decay time must be a non-negative number of milliseconds up to ${MAX_DECAY_MS} (about 24.8 days), or Infinity never to give it back on a timer, got ${decayMs}`,
    );
  }
  if (retain !== undefined && retain !== Infinity) {
    checkSize(retain, Number.MAX_SAFE_INTEGER, "Retention", "the limit");
  }
  if (clock !== undefined && typeof clock !== "function") {
    throw new TypeError("Clock must be a function returning milliseconds");
  }
}

/**
 * Reads `clock` (default `performance.now`) once, as a page source does when
 * it is made: throws a TypeError unless it gives a finite number, so that a
 * clock that gives none fails at once (later readings go through
 * {@linkcode saneClock}).
 */
export function readClock(
  clock: () => number = () => performance.now(),
): number {
  const now = clock();
  if (typeof now !== "number" || !Number.isFinite(now)) {
    throw new TypeError(
      `Clock must return a finite number of milliseconds, got ${
        typeof now === "number" ? now : kindOf(now)
      }`,
    );
  }
  return now;
}

/**
 * The clock to read: `performance.now()`, or the caller's, whose first
 * reading is checked now ({@linkcode readClock}: a TypeError) and whose later
 * reading that throws or is no finite number counts as no time passed (the
 * last good one): read in the middle of a call that has changed state, or in
 * a timer, it must neither throw nor make what it stamps due at once.
 */
export function saneClock(clock?: () => number): () => number {
  if (clock === undefined) return () => performance.now();
  let last = readClock(clock);
  return () => {
    try {
      const now = clock();
      if (Number.isFinite(now)) last = now;
    } catch {
      // No time passed.
    }
    return last;
  };
}
