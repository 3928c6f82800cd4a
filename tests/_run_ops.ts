// The one executor of operation tables. A case is a list of operations on a
// fresh allocator (a Subject) and the state expected afterwards. The
// operations every Allocator has are built in; a Kind adds an allocator's
// own operations (realloc, mark, pop, trim…) and expectations (spans,
// blocks…). Any other expected name is one of the subject's counters.
import assert from "node:assert/strict";
import type { Allocator, PointerErrorReason } from "../os/mod.ts";
import { isZero } from "./_bytes.ts";
import { assertRefusedUnchanged, type ErrorClass } from "./_assert_refused.ts";
import type { Subject } from "./_subjects.ts";

/**
 * What operations and checks see: the subject's handles (`heap`, `pages`,
 * `arena`…), the subject, and the pointers made so far by name with the
 * sizes they were made with ("0" is null).
 */
export type Env<X> = X & {
  subject: Subject<X>;
  allocator: Allocator;
  ptr: Record<string, number>;
  size: Record<string, number>;
};

/** A call that must be refused: call, error class, PointerError reason, message. */
type ThrowsOp<X> = [
  "throws",
  (env: Env<X>) => unknown,
  ErrorClass,
  PointerErrorReason | null,
  RegExp,
];

/** The operations of every allocator. */
export type CoreOp<X> =
  | ["alloc", name: string, size: number]
  | ["free", name: string] // free(ptr, the size it was made with)
  | ["resize", as: string, name: string, newSize: number]
  | ["fill", name: string, byte: number] // over the size it was made with
  | ["let", name: string, (env: Env<X>) => number] // names a computed pointer
  | ["call", (env: Env<X>) => void]
  | ThrowsOp<X>;

/**
 * An operation: a core one, or one of `O`, an allocator's own operations by
 * name (each gets the env and the operation's arguments).
 */
export type Op<X, O = Record<never, never>> =
  | CoreOp<X>
  | {
    [K in keyof O & string]: O[K] extends (
      env: Env<X>,
      ...args: infer P
    ) => void ? [K, ...P]
      : never;
  }[keyof O & string];

/** What every case may expect, whatever the allocator. */
export interface CoreExpect {
  /** Exact pointers. */
  ptr?: Record<string, number>;
  same?: [string, string][];
  differ?: [string, string][];
  /** [name, from, to]: bytes [from, to) of the allocation read as zero. */
  zero?: [string, number, number][];
  /** [name, from, to, byte]: bytes [from, to) of the allocation equal byte. */
  bytes?: [string, number, number, number][];
}

/** A named case: operations, then what must hold (`E`: the kind's own names). */
export interface Case<X, O = Record<never, never>, E = unknown> {
  name: string;
  ops: Op<X, O>[];
  expect?: CoreExpect & E;
}

/** What an allocator adds to the core operations and expectations. */
export interface Kind<X, O = Record<never, never>, E = unknown> {
  ops?: O;
  /** Checks of its own expectations, by name; other names are counters. */
  checks?: { [K in keyof E]?: (env: Env<X>, want: NonNullable<E[K]>) => void };
  /** Checks that hold after every case. */
  finish?(env: Env<X>): void;
}

const coreChecks: {
  [K in keyof CoreExpect]-?: (
    env: Env<unknown>,
    want: NonNullable<CoreExpect[K]>,
  ) => void;
} = {
  ptr: (env, want) => {
    for (const [n, value] of Object.entries(want)) {
      assert.equal(env.ptr[n], value, `pointer ${n}`);
    }
  },
  same: (env, want) => {
    for (const [a, b] of want) {
      assert.equal(env.ptr[a], env.ptr[b], `${a} and ${b} differ`);
    }
  },
  differ: (env, want) => {
    for (const [a, b] of want) {
      assert.notEqual(env.ptr[a], env.ptr[b], `${a} and ${b} are equal`);
    }
  },
  zero: (env, want) => {
    for (const [n, from, to] of want) {
      const at = env.ptr[n] + from;
      assert.ok(isZero(env.allocator.memory, at, to - from), `${n} is zero`);
    }
  },
  bytes: (env, want) => {
    const u8 = env.allocator.memory.u8;
    for (const [n, from, to, byte] of want) {
      const bytes = u8.subarray(env.ptr[n] + from, env.ptr[n] + to);
      assert.ok(
        bytes.every((b) => b === byte),
        `${n}[${from}, ${to}) is not all ${byte}: ${bytes.slice(0, 16)}`,
      );
    }
  },
};

function envOf<X>(subject: Subject<X>): Env<X> {
  return {
    ...subject.handles,
    subject,
    allocator: subject.allocator,
    ptr: { "0": 0 },
    size: { "0": 0 },
  };
}

function step<X, O>(env: Env<X>, op: Op<X, O>, ops: O | undefined): void {
  const a = env.allocator;
  const core = op as CoreOp<X>;
  switch (core[0]) {
    case "alloc": {
      const [, name, size] = core;
      env.ptr[name] = a.alloc(size);
      env.size[name] = size;
      assert.ok(isZero(a.memory, env.ptr[name], size), `${name} is not zero`);
      return;
    }
    case "free":
      return a.free(env.ptr[core[1]], env.size[core[1]]);
    case "resize": {
      const [, as, name, newSize] = core;
      env.ptr[as] = a.resize(env.ptr[name], env.size[name], newSize);
      env.size[as] = newSize;
      return;
    }
    case "fill": {
      const [, name, byte] = core;
      return void a.memory.u8.fill(
        byte,
        env.ptr[name],
        env.ptr[name] + env.size[name],
      );
    }
    case "let":
      env.ptr[core[1]] = core[2](env);
      return;
    case "call":
      return core[1](env);
    case "throws":
      throw new Error("a throws op runs through assertRefusedUnchanged");
  }
  const [name, ...args] = op as unknown as [string, ...unknown[]];
  const extra = (ops as Record<string, (env: Env<X>, ...a: unknown[]) => void>)
    ?.[name];
  assert.ok(extra, `no operation named ${name}`);
  extra(env, ...args);
}

/**
 * Runs case `c` on a subject from `make`, and checks what it expects. With
 * `twin`, a second subject runs every operation but the refused calls, and
 * each refused call is also checked against it.
 */
export function runCase<X, O, E>(
  make: () => Subject<X>,
  c: Case<X, O, E>,
  kind: Kind<X, O, E> = {},
  options: { twin?: boolean } = {},
): void {
  using subject = make();
  using twinSubject = options.twin ? make() : undefined;
  const env = envOf(subject);
  const twin = twinSubject && envOf(twinSubject);
  for (const op of c.ops) {
    if (op[0] === "throws") {
      const [, call, error, reason, message] = op as ThrowsOp<X>;
      assertRefusedUnchanged(
        subject,
        () => call(env),
        { error, reason, message },
        twinSubject,
      );
    } else {
      step(env, op, kind.ops);
      if (twin) step(twin, op, kind.ops);
    }
  }
  const checks = kind.checks as
    | Record<string, (env: Env<X>, want: unknown) => void>
    | undefined;
  const state = subject.state();
  for (const [name, want] of Object.entries(c.expect ?? {})) {
    const check = coreChecks[name as keyof CoreExpect] ?? checks?.[name];
    if (check) (check as (env: Env<X>, want: unknown) => void)(env, want);
    else {
      assert.ok(name in state, `no check or counter named ${name}`);
      assert.deepEqual(state[name], want, name);
    }
  }
  const address = env.allocator.memory.address ?? 0n;
  for (const [name, ptr] of Object.entries(env.ptr)) {
    if (ptr === 0) continue;
    assert.equal(
      (address + BigInt(ptr)) % BigInt(subject.alignment),
      0n,
      `${name} is aligned`,
    );
  }
  kind.finish?.(env);
}
