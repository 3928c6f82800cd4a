// The heap geometry (docs/design.md, "Heap geometry"), written out again
// independently of heap/, so that the heap tests check the implementation
// against the design rather than against itself.

/** The 16 class sizes, in bytes. */
export const CLASSES = [
  16,
  32,
  48,
  64,
  96,
  128,
  192,
  256,
  336,
  448,
  576,
  672,
  800,
  1008,
  1344,
  2016,
];

/** The class a small request goes to. */
export const classOf = (size: number): number | undefined =>
  CLASSES.find((c) => c >= size);

/** The page-run capacity of a large block: roundUp(size, 4096). */
export const capacityOf = (size: number): number =>
  Math.ceil(size / 4096) * 4096;
