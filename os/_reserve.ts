// Turning a page source's `reserve` option into a page count.
import { checkSize } from "./_checks.ts";
import { MAX_RESERVE, PAGE_SIZE } from "./page_source.ts";

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
