// Growing the typed-array tables that allocators keep per page.

/** Copies `from` into the start of the larger `to` and returns `to`. */
export function grow<T extends { set(array: T): void }>(from: T, to: T): T {
  to.set(from);
  return to;
}
