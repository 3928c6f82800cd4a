// Growing the typed-array tables that allocators keep per page.

/** Copies `from` into the start of the larger `to` and returns `to`. */
export function grow<T extends { set(array: T): void }>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * Copies as much of `from` as fits into the start of `to` (larger or smaller:
 * a table grown, or shrunk to what is in use) and returns `to`. A shrink
 * copies element by element rather than through a `subarray` of `from`: V8
 * deoptimizes every function that reads typed arrays the first time it
 * detaches a buffer that two views share (its ArrayBufferDetaching
 * protector), and `release` detaches `from`'s buffer next. Code waiting in a
 * fast FFI call when that happens aborts the process.
 */
export function refit<
  T extends {
    length: number;
    [index: number]: number;
    set(array: T): void;
  },
>(
  from: T,
  to: T,
): T {
  if (from.length <= to.length) to.set(from);
  else for (let i = 0; i < to.length; i++) to[i] = from[i];
  return to;
}

/**
 * Frees the memory of a table that has been copied and is no longer used,
 * now rather than whenever the garbage collector gets to it: old copies left
 * to the collector stayed in the process after a peak (bench/peak_release.ts
 * measured 29 MiB over the start after a 256 MiB peak was freed, trimmed and
 * purged, 15 MiB with this). It detaches the table's buffer
 * (`transfer(0)`, where the runtime has it: not Node 20) if the table is the
 * whole of an ArrayBuffer of its own, so only for a table no one else holds:
 * a read of it afterwards is undefined, a write is lost.
 */
export function release(table: ArrayBufferView): void {
  const buffer = table.buffer as ArrayBuffer & {
    transfer?(length: number): ArrayBuffer;
  };
  if (
    // (A SharedArrayBuffer has no transfer; naming it would throw where the
    // runtime leaves it undefined, as a page that is not cross-origin
    // isolated does.)
    typeof buffer.transfer === "function" && table.byteOffset === 0 &&
    table.byteLength === buffer.byteLength && buffer.byteLength !== 0
  ) buffer.transfer(0);
}
