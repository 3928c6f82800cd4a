// What the alloc+write+free pair benchmarks share.

/**
 * Makes the benchmark function of one backend for one size and pattern. Each
 * backend class gets a function literal of its own: V8 keeps one set of type
 * feedback for all closures made from a literal, so a literal shared by every
 * backend would make its calls polymorphic and slow every backend down.
 */
export type Pair = (size: number, neighbour: boolean) => () => void;

/**
 * The patterns: nothing else live, or one other allocation of the same size
 * kept live next to the pair's.
 */
export const PATTERNS = [["alone", false], ["neighbour", true]] as const;

/**
 * Returns `target`, with one allocation of `size` made and kept live if
 * `neighbour`.
 */
export function withNeighbour<T extends { alloc(size: number): unknown }>(
  target: T,
  size: number,
  neighbour: boolean,
): T {
  if (neighbour) target.alloc(size);
  return target;
}
