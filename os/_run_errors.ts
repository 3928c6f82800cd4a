// Saying why a pointer or size handed to a page source names no live run,
// and why an allocation found no room (docs/design.md#error-model): the cold
// path, where every message is built.
import { hex } from "../internal/checks.ts";
import { PAGE_SIZE, pagesFor } from "../internal/pages.ts";
import { OutOfMemoryError, PointerError } from "./errors.ts";
import type { PageRuns } from "./_page_runs.ts";

/**
 * The error for a pointer (a non-negative integer) that is not the start of
 * a live run of `runs`: unaligned, outside the range, inside a live run, or
 * free.
 */
export function notARun(runs: PageRuns, ptr: number): PointerError {
  if (ptr % PAGE_SIZE !== 0) {
    return new PointerError(
      `Pointer ${
        hex(ptr)
      } is not page-aligned, so it is not a run of this page source`,
      ptr,
      "unaligned",
    );
  }
  const what = describe(runs, ptr / PAGE_SIZE);
  if (what === "outside") {
    return new PointerError(
      `Pointer ${hex(ptr)} is outside this page source's range`,
      ptr,
      "out-of-range",
    );
  }
  if (what === "interior") {
    return new PointerError(
      `Pointer ${hex(ptr)} is inside a live run, not its start`,
      ptr,
      "interior",
    );
  }
  return new PointerError(
    `Pointer ${hex(ptr)} is free already (double free, or never allocated)`,
    ptr,
    "double-free",
  );
}

// What a page that starts no live run is: outside the range, inside a live
// run, or free. It walks back to the start of the run the page is in (runs
// mark their first page only): a slow walk, for error messages only.
function describe(
  runs: PageRuns,
  page: number,
): "free" | "interior" | "outside" {
  if (page < runs.first || page >= runs.limit) return "outside";
  if (page >= runs.top) return "free";
  for (let start = page; start >= runs.first; start--) {
    const pages = runs.liveRun(start);
    if (pages !== undefined) {
      return page < start + pages ? "interior" : "free";
    }
    if (runs.freeRun(start) > 0) return "free";
  }
  return "free";
}

/** The error for a size that does not match the live run of `pages` at `ptr`. */
export function wrongRunSize(
  ptr: number,
  size: number,
  pages: number,
): PointerError {
  return new PointerError(
    `Size ${size} does not match the run at ${
      hex(ptr)
    }, which is ${pages} page(s) (${pages * PAGE_SIZE} bytes)`,
    ptr,
    "size-mismatch",
  );
}

/**
 * The error for a run of `size` bytes (aligned to `alignment`, when above a
 * page) that does not fit.
 */
export function noRoom(
  size: number,
  alignment: number,
  reservedBytes: number,
  liveBytes: number,
): OutOfMemoryError {
  const aligned = alignment > PAGE_SIZE ? `, aligned to ${alignment},` : "";
  return new OutOfMemoryError(
    `Out of memory: no run of ${
      pagesFor(size)
    } free page(s)${aligned} for ${size} bytes in a reservation of ${reservedBytes} bytes (${liveBytes} live); reserve more`,
    size,
  );
}
