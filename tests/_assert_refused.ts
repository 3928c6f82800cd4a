// The one check that bad input is refused and loses nothing: the call throws
// the named error with a sentence-case message, and afterwards the state is
// as it was, the allocator's own consistency check passes, and (given a twin
// that never saw the call) the next allocation comes out the same.
import assert from "node:assert/strict";
import type { PointerErrorReason } from "../os/mod.ts";

/** An error class, as `instanceof` needs it. */
export type ErrorClass = new (...args: never[]) => Error;

/** The error a call must be refused with. */
export interface Refusal {
  error: ErrorClass;
  /** The {@linkcode PointerError} reason, where the error is one. */
  reason?: PointerErrorReason | null;
  /** What the message must say. */
  message: RegExp;
}

/** What a refused call must leave as it was. */
export interface Watched {
  /** Counters and anything else a refused call must not change. */
  state(): unknown;
  /** Throws if the allocator is inconsistent; does nothing where it cannot tell. */
  validate?(): void;
  /** The outcome of the next allocation (a pointer, or the error it threw). */
  next?(): unknown;
}

/**
 * Runs `call`, which must throw as `refusal` says, and checks that `watched`
 * is unchanged. With a `twin` (made and driven the same way, minus the bad
 * call), also checks that both have the same state and the same next
 * allocation.
 */
export function assertRefusedUnchanged(
  watched: Watched,
  call: () => unknown,
  refusal: Refusal,
  twin?: Watched,
): void {
  const before = watched.state();
  assert.throws(call, (e: unknown) => {
    assert.ok(
      e instanceof refusal.error,
      `expected a ${refusal.error.name}, got ${e}`,
    );
    if (refusal.reason) {
      assert.equal((e as { reason?: string }).reason, refusal.reason);
    }
    assert.match(e.message, refusal.message);
    assert.match(e.message, /^[A-Z]/, "sentence case");
    return true;
  });
  assert.deepEqual(watched.state(), before, "a refused call changed the state");
  watched.validate?.();
  if (twin) {
    assert.deepEqual(watched.state(), twin.state(), "state differs from twin");
    assert.deepEqual(watched.next?.(), twin.next?.(), "next allocation");
    assert.deepEqual(watched.state(), twin.state(), "state after next");
  }
}
