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

/**
 * The class of an aligned twin that a request of `size` bytes at
 * `alignment` (above 16) takes: the smallest class at least `size` whose size
 * is a multiple of the alignment, or undefined (a large block then).
 */
export const twinOf = (size: number, alignment: number): number | undefined =>
  CLASSES.find((c) => c >= size && c % alignment === 0);

/**
 * The offset in its span of a twin's first chunk: the chunks end at the
 * page's end, the tail is before them.
 */
export const twinFirst = (cls: number): number =>
  4096 - Math.floor((4096 - 48) / cls) * cls;

/**
 * The heap's cache of freed medium runs (docs/design.md#medium-blocks),
 * counting only: per page count 1..16, a stack of at most 8 runs, at most
 * 1 MiB in all. A freed block of up to 16 pages is kept if its stack and the
 * cap have room; a new block of up to 16 pages takes the newest of its page
 * count. The 17th medium free in a row (no medium alloc between) gives every
 * kept run back, and so does each one after it.
 */
export class RunCacheModel {
  bytes = 0;
  #counts = new Array<number>(17).fill(0);
  #streak = 0;

  /** Keeps a freed block of `capacity` bytes; returns whether it did. */
  push(capacity: number): boolean {
    const pages = capacity / 4096;
    if (pages > 16) return false;
    if (++this.#streak > 16) {
      this.#counts.fill(0);
      this.bytes = 0;
      return false;
    }
    if (this.#counts[pages] === 8 || this.bytes + capacity > 2 ** 20) {
      return false;
    }
    this.#counts[pages]++;
    this.bytes += capacity;
    return true;
  }

  /** A new block of `capacity` bytes: whether a kept run serves it. */
  pop(capacity: number): boolean {
    const pages = capacity / 4096;
    if (pages > 16) return false;
    this.#streak = 0;
    if (this.#counts[pages] === 0) return false;
    this.#counts[pages]--;
    this.bytes -= capacity;
    return true;
  }
}
