// Argument checks shared by every allocator. They are written so that the
// common case is one or two comparisons; the message is built only on failure.
import { PointerError } from "../os/errors.ts";

/**
 * Formats a pointer for error messages, in hex and as the plain number the API
 * returns: `0x1f000 (126976)`. Anything else — a negative, fractional or
 * unsafe integer (above `Number.MAX_SAFE_INTEGER`, so no address: `1e300`
 * would be 250 hex digits) — is given as `String(ptr)` alone.
 */
export function hex(ptr: number): string {
  return typeof ptr === "number" && Number.isSafeInteger(ptr) && ptr >= 0
    ? `0x${ptr.toString(16)} (${ptr})`
    : String(ptr);
}

/**
 * What a value of the wrong type is, for a message: its `typeof`, or
 * `null` (never the value itself: a symbol cannot be put in a string, and
 * an object's `toString` may throw).
 */
export function kindOf(value: unknown): string {
  return value === null ? "null" : typeof value;
}

/**
 * Throws a TypeError unless a constructor's `options` is an object (null, a
 * number or a string would fail later with V8's bare "Cannot read
 * properties") whose keys are all `known` (a misspelt key would be silently
 * ignored): `what` names the class, `example` shows an options object.
 */
export function checkOptions(
  options: unknown,
  what: string,
  example: string,
  known: readonly string[],
): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${what} options must be an object, such as ${example}, got ${
        kindOf(options)
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${what} has no option ${JSON.stringify(key)}: its options are ${
          known.join(", ")
        }`,
      );
    }
  }
}

/**
 * Throws a TypeError unless `value` is a number: `what` names the argument
 * (`what` must be a number`, got bigint`), `hint` says which numbers.
 */
export function checkNumber(
  value: unknown,
  what: string,
  hint = "",
): asserts value is number {
  if (typeof value === "number") return;
  throw new TypeError(
    `${what} must be a number${hint}, got ${kindOf(value)}`,
  );
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
  checkNumber(size, what);
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(
      `${what} must be a non-negative integer, got ${size}`,
    );
  }
  throw new RangeError(
    `${what} ${size} exceeds ${limit} of ${max} bytes`,
  );
}

/**
 * Throws unless `ptr` is a non-negative integer (a pointer or null): a
 * `TypeError` for a non-number, else a {@linkcode PointerError} with reason
 * `out-of-range` — a negative, fractional or NaN pointer points nowhere in the
 * memory, like one past its end.
 */
export function checkPointer(ptr: number): void {
  if (Number.isInteger(ptr) && ptr >= 0) return;
  checkNumber(ptr, "Pointer");
  throw new PointerError(
    `Pointer ${ptr} is not a non-negative integer, so it is no allocation: pass a pointer an allocator returned`,
    ptr,
    "out-of-range",
  );
}

/**
 * The largest alignment one call may ask of any allocator of the package:
 * 65536 (2^16).
 */
export const MAX_REQUEST_ALIGNMENT = 65536;

/**
 * Throws unless `alignment` is a power of two from 1 to `max`: a TypeError
 * for a non-number (`typeHint` follows "a number"), else a RangeError
 * `Alignment must be a power of two from 1 to <range>, got <alignment><tail>`.
 * Each allocator's check is this one with its own bound and wording.
 */
export function checkPowerOfTwo(
  alignment: unknown,
  max: number,
  range: string,
  typeHint = "",
  tail = "",
): void {
  if (
    typeof alignment === "number" && Number.isInteger(alignment) &&
    alignment >= 1 && alignment <= max && (alignment & (alignment - 1)) === 0
  ) return;
  checkNumber(alignment, "Alignment", typeHint);
  throw new RangeError(
    `Alignment must be a power of two from 1 to ${range}, got ${alignment}${tail}`,
  );
}

/**
 * Throws unless `alignment`, the alignment that one `alloc` or `resize` call
 * asks for, is a power of two from 1 to 65536: a TypeError for a non-number,
 * a RangeError naming the value otherwise.
 */
export function checkRequestAlignment(alignment: unknown): void {
  checkPowerOfTwo(
    alignment,
    MAX_REQUEST_ALIGNMENT,
    "65536",
    " (a power of two from 1 to 65536)",
    "; omit it for the allocator's natural alignment",
  );
}
