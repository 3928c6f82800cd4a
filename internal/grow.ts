// Growing the typed-array tables that allocators keep per page.

/** Copies `from` into the start of the larger `to` and returns `to`. */
export function grow<T extends { set(array: T): void }>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Copies as much of `from` as fits into the start of `to` (larger or smaller:
 * a table grown, or shrunk to what is in use) and returns `to`.
 */
export function refit<
  T extends {
    length: number;
    subarray(a: number, b: number): T;
    set(array: T): void;
  },
>(
  from: T,
  to: T,
): T {
  to.set(from.length <= to.length ? from : from.subarray(0, to.length));
  return to;
}
