// How a destroyed allocator gives its blocks back to its parent: every one,
// even when the parent refuses one (a debug parent that found a red zone
// written), so that nothing is lost for good; the first refusal is thrown
// once the allocator is wholly destroyed.
import { DestroyedError } from "../os/errors.ts";

/** The first error of a {@linkcode giveBack}, to throw. */
export interface Refusal {
  error: unknown;
}

/**
 * Calls `free` on every item, all of them even if one throws; returns the
 * first error thrown, or undefined. A DestroyedError is none: a parent
 * destroyed first took the blocks with it.
 */
export function giveBack<T>(
  items: Iterable<T>,
  free: (item: T) => void,
): Refusal | undefined {
  let refusal: Refusal | undefined;
  for (const item of items) {
    try {
      free(item);
    } catch (error) {
      if (refusal === undefined && !(error instanceof DestroyedError)) {
        refusal = { error };
      }
    }
  }
  return refusal;
}
