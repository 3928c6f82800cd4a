// Argument checks shared by every allocator. They are written so that the
// common case is one or two comparisons; the message is built only on failure.

/** Formats a pointer for error messages: `0x1f000`. */
export function hex(ptr: number): string {
  return typeof ptr === "number" && Number.isInteger(ptr) && ptr >= 0
    ? "0x" + ptr.toString(16)
    : String(ptr);
}

/**
 * Throws unless `size` is an integer in `[0, max]`. `what` names the argument
 * in the message, `limit` says where `max` comes from.
 */
export function checkSize(
  size: number,
  max: number,
  what = "Size",
  limit = "the allocator's limit",
): void {
  if (Number.isInteger(size) && size >= 0 && size <= max) return;
  if (typeof size !== "number") {
    throw new TypeError(`${what} must be a number, got ${typeof size}`);
  }
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(
      `${what} must be a non-negative integer, got ${size}`,
    );
  }
  throw new RangeError(
    `${what} ${size} exceeds ${limit} of ${max} bytes`,
  );
}

/** Throws unless `ptr` is a non-negative integer (a pointer or null). */
export function checkPointer(ptr: number): void {
  if (Number.isInteger(ptr) && ptr >= 0) return;
  if (typeof ptr !== "number") {
    throw new TypeError(`Pointer must be a number, got ${typeof ptr}`);
  }
  throw new RangeError(`Pointer must be a non-negative integer, got ${ptr}`);
}
