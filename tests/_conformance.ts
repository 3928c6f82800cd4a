// The Allocator contract as one suite that every allocator runs: sizes,
// zeroing, resize semantics, bad sizes, bad pointers, double free, use after
// destroy and exhaustion. Each case is an operation table for the shared
// executor; what genuinely differs between allocators (page rounding, how big
// a region is) is data in the allocator's Contract, and what its adapter
// knows already (a free of an older allocation that arenas ignore) is read
// from its Subject: never a branch in a case.
import assert from "node:assert/strict";
import {
  DestroyedError,
  OutOfMemoryError,
  PointerError,
  type PointerErrorReason,
} from "../os/mod.ts";
import type { Refusal } from "./_assert_refused.ts";
import { isZero } from "./_bytes.ts";
import {
  type Case,
  type CoreExpect,
  type Env,
  type Kind,
  type Op as RunOp,
  runCase,
} from "./_run_ops.ts";
import type { OlderFree, Subject } from "./_subjects.ts";
import {
  alignmentSupport,
  MATRICES,
  MATRIX_MAX_SIZE,
  naturalAlignment,
} from "./matrix_cases.ts";

/** The kinds of bad pointer every allocator must refuse. */
export type BadPointer =
  | "negative"
  | "NaN"
  | "fractional"
  | "unaligned"
  | "interior"
  | "far"
  | "foreign";

/** One allocator kind, as the contract suite needs to know it. */
export interface Contract<X> {
  name: string;
  /**
   * Makes a fresh subject; `reserve` (bytes of its page source, or of its
   * region) makes one that an exhaustion case fills.
   */
  make(reserve?: number): Subject<X>;
  /** Sizes worth allocating: 0, 1, and its class, block or page boundaries. */
  sizes: number[];
  /** How far apart allocations start: 16 bytes, or a page. */
  granule: number;
  /** Counters that are back where they were once everything is freed. */
  live: string[];
  /** How it refuses a bad pointer, where that is not the kind's own reason. */
  reasons?: Partial<Record<BadPointer, PointerErrorReason>>;
  /** Reservations that exactly `fits` allocations of `size` fill. */
  exhaust?: { reserve: number; size: number; fits: number }[];
  /** False where no independent twin can be made (shared scratch arenas). */
  twin?: boolean;
  /**
   * jemalloc's size_check, for the newest allocation of each `size`: the
   * wrong sizes a free or resize refuses as a `size-mismatch`, and those it
   * cannot tell from the right one (`alike`: of the same class, page count
   * or block), which free it as the right one would.
   */
  sizeCheck: { size: number; refused: number[]; alike: number[] }[];
}

/** What the suite reads from one subject of the kind: the same for all. */
interface Traits {
  olderFree: OlderFree;
  /** Whether it has a parent that a case can destroy under it. */
  parent: boolean;
  /** Whether the largest allocation of a fresh one is known. */
  largest: boolean;
}

// How a pointer that is no non-negative integer (negative, NaN, fractional)
// is refused: a PointerError, as for any pointer that is no allocation.
const NOT_A_POINTER: Refusal = {
  error: PointerError,
  reason: "out-of-range",
  message: /^Pointer \S+ is not a non-negative integer, so it is no allocation/,
};

const REASONS: Record<BadPointer, PointerErrorReason | null> = {
  negative: null,
  NaN: null,
  fractional: null,
  unaligned: "unaligned",
  interior: "interior",
  far: "out-of-range",
  foreign: "foreign",
};

const DESTROYED: Refusal = { error: DestroyedError, message: /used after/ };

const DOUBLE_FREE: Refusal = {
  error: PointerError,
  reason: "double-free",
  message: /^Pointer 0x[0-9a-f]+ \(\d+\) /,
};

/** Operations of the suite: save the live counters, and check them again. */
type Ops<X> = {
  snapshot: (env: Env<X>, name: string) => void;
  restored: (env: Env<X>, name: string) => void;
};

type Op<X> = RunOp<X, Ops<X>>;

interface ContractCase<X> extends Case<X, Ops<X>> {
  /** Makes the subject with this reservation. */
  reserve?: number;
}

function contractKind<X>(live: string[]): Kind<X, Ops<X>> {
  const saved = new Map<Subject<X>, Record<string, unknown>>();
  const counters = ({ subject }: Env<X>) => {
    const state = subject.state();
    return Object.fromEntries(live.map((k) => [k, state[k]]));
  };
  return {
    ops: {
      snapshot: (env, name) => {
        saved.set(env.subject, {
          ...saved.get(env.subject),
          [name]: counters(env),
        });
      },
      restored: (env, name) => {
        const then = saved.get(env.subject)?.[name];
        assert.deepEqual(counters(env), then, `counters are back to ${name}`);
      },
    },
  };
}

const refused = <X>(
  call: (env: Env<X>) => unknown,
  { error, reason, message }: Refusal,
): Op<X> => ["throws", call, error, reason ?? null, message];

function sizes<X>(c: Contract<X>): ContractCase<X>[] {
  return c.sizes.flatMap((s): ContractCase<X>[] => [
    {
      name: `alloc(${s}) is aligned, zero and its own`,
      ops: [
        ["alloc", "keep", 64],
        ["fill", "keep", 0x6b],
        ["alloc", "a", s],
        ["fill", "a", 0xa5],
      ],
      expect: {
        differ: [["a", "0"]],
        bytes: [["keep", 0, 64, 0x6b], ["a", 0, s, 0xa5]],
      },
    },
    {
      name: `free(alloc(${s})) gives it all back`,
      ops: [
        ["alloc", "keep", 64],
        ["snapshot", "before"],
        ["alloc", "a", s],
        ["free", "a"],
        ["restored", "before"],
      ],
    },
  ]);
}

function zeroing<X>(c: Contract<X>): ContractCase<X>[] {
  const used = c.sizes.filter((s) => s > 0);
  return [
    {
      name: "fresh allocations of every size read as zero",
      ops: used.map((s, i): Op<X> => ["alloc", `a${i}`, s]),
      expect: { zero: used.map((s, i) => [`a${i}`, 0, s]) },
    },
    ...used.map((s): ContractCase<X> => ({
      name: `a reused ${s}-byte allocation reads as zero`,
      ops: [
        ["alloc", "keep", 64],
        ["alloc", "a", s],
        ["fill", "a", 0xff],
        ["free", "a"],
        ["alloc", "b", s],
      ],
      expect: { same: [["a", "b"]], zero: [["b", 0, s]] },
    })),
  ];
}

/** Sizes the resize cases start from; each is grown up to four times. */
const RESIZE_SIZES = [8, 100, 3000];

function resizing<X>(): ContractCase<X>[] {
  return RESIZE_SIZES.flatMap((n): ContractCase<X>[] => [
    {
      name: `resize(0, 0, ${n}) allocates`,
      ops: [["resize", "a", "0", n]],
      expect: { differ: [["a", "0"]], zero: [["a", 0, n]] },
    },
    {
      name: `resize(p, ${n}, 0) frees and returns 0`,
      ops: [
        ["alloc", "keep", 64],
        ["snapshot", "before"],
        ["alloc", "a", n],
        ["resize", "b", "a", 0],
        ["restored", "before"],
      ],
      expect: { ptr: { b: 0 } },
    },
    {
      name: `shrinking ${n} to ${n / 2} keeps the bytes`,
      ops: [["alloc", "a", n], ["fill", "a", 0x5a], [
        "resize",
        "b",
        "a",
        n / 2,
      ]],
      expect: { bytes: [["b", 0, n / 2, 0x5a]] },
    },
    {
      name: `growing ${n} to ${2 * n} keeps the bytes, the new ones are zero`,
      ops: [["alloc", "a", n], ["fill", "a", 0x5b], [
        "resize",
        "b",
        "a",
        2 * n,
      ]],
      expect: { bytes: [["b", 0, n, 0x5b], ["b", n, 2 * n, 0]] },
    },
    {
      name: `growing ${n} to ${4 * n} past a neighbour keeps both`,
      ops: [
        ["alloc", "a", n],
        ["alloc", "z", n],
        ["fill", "a", 0x5c],
        ["fill", "z", 0x7e],
        ["resize", "b", "a", 4 * n],
      ],
      expect: {
        bytes: [["b", 0, n, 0x5c], ["b", n, 4 * n, 0], ["z", 0, n, 0x7e]],
      },
    },
    {
      name: `shrinking ${n} to ${n / 4} and growing back zeroes the cut bytes`,
      ops: [
        ["alloc", "a", n],
        ["fill", "a", 0x5d],
        ["resize", "b", "a", n / 4],
        ["resize", "c", "b", n],
      ],
      expect: { bytes: [["c", 0, n / 4, 0x5d], ["c", n / 4, n, 0]] },
    },
  ]);
}

/** Bad sizes: a label, the size (given the largest size), how it is refused. */
const BAD_SIZES: [string, (maxSize: number) => unknown, Refusal][] = [
  ["-1", () => -1, {
    error: RangeError,
    message: /must be a non-negative integer, got -1$/,
  }],
  ["1.5", () => 1.5, {
    error: RangeError,
    message: /must be a non-negative integer, got 1.5$/,
  }],
  ["NaN", () => NaN, {
    error: RangeError,
    message: /must be a non-negative integer, got NaN$/,
  }],
  ["Infinity", () => Infinity, {
    error: RangeError,
    message: /must be a non-negative integer, got Infinity$/,
  }],
  ['"8"', () => "8", {
    error: TypeError,
    message: /must be a number, got string$/,
  }],
  // Last: only where the size is a request (see badSizes).
  ["maxSize + 1", (maxSize) => maxSize + 1, {
    error: RangeError,
    message: /^(New size|Size) \d+ exceeds /,
  }],
];

function badSizes<X>(): ContractCase<X>[] {
  // A name with % for the size, the call on a 64-byte allocation `a`, and
  // whether an over-limit size is a bad size there (for free and the old
  // size of resize it is a size that matches no allocation instead).
  const calls: [string, (env: Env<X>, size: number) => unknown, boolean][] = [
    ["alloc(%)", ({ allocator }, s) => allocator.alloc(s), true],
    [
      "resize(p, 64, %)",
      ({ allocator, ptr }, s) => allocator.resize(ptr.a, 64, s),
      true,
    ],
    [
      "resize(p, %, 64)",
      ({ allocator, ptr }, s) => allocator.resize(ptr.a, s, 64),
      false,
    ],
    ["free(p, %)", ({ allocator, ptr }, s) => allocator.free(ptr.a, s), false],
  ];
  return calls.flatMap(([name, call, overLimit]) =>
    BAD_SIZES.slice(0, overLimit ? undefined : -1).map(
      ([label, size, refusal]): ContractCase<X> => ({
        name: name.replace("%", label),
        ops: [
          ["alloc", "a", 64],
          ["fill", "a", 0x3c],
          refused(
            (env) => call(env, size(env.subject.maxSize) as number),
            refusal,
          ),
        ],
        expect: { bytes: [["a", 0, 64, 0x3c]] },
      }),
    )
  );
}

const SIZE_MISMATCH: Refusal = {
  error: PointerError,
  reason: "size-mismatch",
  message: /^(Old s|S)ize \d+ does not match the \w+ at 0x[0-9a-f]+ \(\d+\)/,
};

function sizeCheck<X>(c: Contract<X>): ContractCase<X>[] {
  return c.sizeCheck.flatMap(({ size, refused: wrong, alike }) => [
    ...wrong.flatMap((w): ContractCase<X>[] => [
      {
        name: `free(alloc(${size}), ${w}) is refused`,
        ops: [
          ["alloc", "a", size],
          ["fill", "a", 0x3b],
          refused(
            ({ allocator, ptr }) => allocator.free(ptr.a, w),
            SIZE_MISMATCH,
          ),
        ],
        expect: { bytes: [["a", 0, size, 0x3b]] },
      },
      {
        name: `resize(alloc(${size}), ${w}, ${size + 1}) is refused`,
        ops: [
          ["alloc", "a", size],
          ["fill", "a", 0x3b],
          refused(
            ({ allocator, ptr }) => allocator.resize(ptr.a, w, size + 1),
            SIZE_MISMATCH,
          ),
        ],
        expect: { bytes: [["a", 0, size, 0x3b]] },
      },
    ]),
    ...alike.map((w): ContractCase<X> => ({
      name:
        `free(alloc(${size}), ${w}) frees it: it cannot tell ${w} from ${size}`,
      ops: [
        ["snapshot", "empty"],
        ["alloc", "a", size],
        ["call", ({ allocator, ptr }) => allocator.free(ptr.a, w)],
        ["restored", "empty"],
      ],
    })),
  ]);
}

/**
 * Bad pointers: the kind, a label, and the pointer and size passed for a live
 * allocation `p` of `n` bytes (`g`: the contract's granule; `foreign`:
 * another allocator's pointer).
 */
const BAD_POINTERS: [
  BadPointer,
  string,
  (p: number, n: number, g: number, foreign: number) => [number, number],
][] = [
  ["negative", "a negative pointer", (_p, n, g) => [-g, n]],
  ["NaN", "NaN", (_p, n) => [NaN, n]],
  ["fractional", "a fractional pointer", (p, n) => [p + 0.5, n]],
  ["unaligned", "an unaligned pointer", (p, n) => [p + 1, n]],
  [
    "unaligned",
    "an unaligned pointer to the allocation's end",
    (p, n) => [p + 1, n - 1],
  ],
  ["interior", "an interior pointer", (p, n, g) => [p + g, n]],
  [
    "interior",
    "an interior pointer to the allocation's end",
    (p, n, g) => [p + g, n - g],
  ],
  ["far", "a pointer far past the memory", (_p, n) => [2 ** 40, n]],
  ["foreign", "another allocator's pointer", (_p, n, _g, f) => [f, n]],
];

function badPointers<X>(c: Contract<X>): ContractCase<X>[] {
  const n = 4 * c.granule;
  const calls: [string, (env: Env<X>, bad: number, size: number) => unknown][] =
    [
      ["free", ({ allocator }, bad, size) => allocator.free(bad, size)],
      [
        "resize",
        ({ allocator }, bad, size) => allocator.resize(bad, size, 2 * n),
      ],
    ];
  return BAD_POINTERS.flatMap(([kind, label, make]) =>
    calls.map(([call, run]): ContractCase<X> => {
      const reason = c.reasons?.[kind] ?? REASONS[kind];
      const refusal = reason === null ? NOT_A_POINTER : {
        error: PointerError,
        reason,
        message: /^Pointer 0x[0-9a-f]+ \(\d+\) /,
      };
      return {
        name: `${call} of ${label}`,
        ops: [
          ["alloc", "a", n],
          ["fill", "a", 0x3d],
          ["let", "foreign", ({ subject }) => subject.foreign()],
          refused(
            (env) =>
              run(env, ...make(env.ptr.a, n, c.granule, env.ptr.foreign)),
            refusal,
          ),
        ],
        expect: { bytes: [["a", 0, n, 0x3d]] },
      };
    })
  );
}

/** What a second free of an older allocation does, and what then holds. */
const secondOlderFree = <X>(
  n: number,
): Record<OlderFree, { ops: Op<X>[]; expect: CoreExpect }> => ({
  frees: {
    ops: [
      ["free", "a"],
      refused(({ allocator, ptr }) => allocator.free(ptr.a, n), DOUBLE_FREE),
    ],
    expect: {},
  },
  keeps: {
    ops: [["free", "a"], ["free", "a"], ["restored", "held"]],
    expect: { bytes: [["a", 0, n, 0x3e]] },
  },
});

function doubleFree<X>(c: Contract<X>, t: Traits): ContractCase<X>[] {
  const n = 4 * c.granule;
  const second = secondOlderFree<X>(n)[t.olderFree];
  return [
    {
      name: "free of the newest allocation twice",
      ops: [
        ["alloc", "a", n],
        ["alloc", "b", n],
        ["free", "b"],
        refused(({ allocator, ptr }) => allocator.free(ptr.b, n), DOUBLE_FREE),
      ],
    },
    {
      name: "resize of a freed allocation",
      ops: [
        ["alloc", "a", n],
        ["alloc", "b", n],
        ["free", "b"],
        refused(
          ({ allocator, ptr }) => allocator.resize(ptr.b, n, 2 * n),
          DOUBLE_FREE,
        ),
      ],
    },
    {
      name: `free of an older allocation twice (it ${t.olderFree} it)`,
      ops: [
        ["alloc", "a", n],
        ["alloc", "b", n],
        ["fill", "a", 0x3e],
        ["snapshot", "held"],
        ...second.ops,
      ],
      expect: second.expect,
    },
  ];
}

function afterDestroy<X>(c: Contract<X>, t: Traits): ContractCase<X>[] {
  const n = 4 * c.granule;
  const setUp: Op<X>[] = [
    ["alloc", "a", n],
    ["alloc", "b", n],
    ["call", ({ subject }) => subject.destroy()],
  ];
  const calls: [string, (env: Env<X>) => unknown][] = [
    ["alloc(16)", ({ allocator }) => allocator.alloc(16)],
    ["alloc(0)", ({ allocator }) => allocator.alloc(0)],
    ["resize(0, 0, 16)", ({ allocator }) => allocator.resize(0, 0, 16)],
    [
      "resize of an allocation",
      ({ allocator, ptr }) => allocator.resize(ptr.a, n, 2 * n),
    ],
    [
      "resize of an allocation to 0",
      ({ allocator, ptr }) => allocator.resize(ptr.a, n, 0),
    ],
    [
      "free of an older allocation",
      ({ allocator, ptr }) => allocator.free(ptr.a, n),
    ],
    [
      "free of the newest allocation",
      ({ allocator, ptr }) => allocator.free(ptr.b, n),
    ],
  ];
  // The same calls once what it lives on is destroyed (the allocator itself
  // is not): it must refuse them too, and never hand out memory its parent
  // no longer owns.
  const parentGone: Op<X>[] = [
    ["alloc", "a", n],
    ["alloc", "b", n],
    ["call", ({ subject }) => subject.destroyParent!()],
  ];
  const orphaned = !t.parent ? [] : calls.map((
    [name, call],
  ): ContractCase<X> => ({
    name: `${name} after its parent was destroyed`,
    ops: [...parentGone, refused(call, DESTROYED)],
  }));
  return [
    ...orphaned,
    ...calls.map(([name, call]): ContractCase<X> => ({
      name: `${name} after destroy`,
      ops: [...setUp, refused(call, DESTROYED)],
    })),
    {
      name: "free(0) after destroy does nothing",
      ops: [...setUp, ["free", "0"]],
    },
    {
      name: "destroy again does nothing",
      ops: [...setUp, ["call", ({ subject }) => subject.destroy()]],
    },
  ];
}

// The reservation of the case that allocates the subject's largest size.
const MAX_SIZE_RESERVE = 2 ** 20;

function exhaustion<X>(c: Contract<X>, t: Traits): ContractCase<X>[] {
  const largest: ContractCase<X> = {
    name:
      "the largest allocation on a fresh one succeeds, and free gives it back",
    reserve: MAX_SIZE_RESERVE,
    ops: [
      ["snapshot", "empty"],
      ["call", (env) => {
        const size = env.subject.largest as number;
        env.ptr.a = env.allocator.alloc(size);
        env.size.a = size;
        assert.ok(isZero(env.allocator.memory, env.ptr.a, size), "a is zero");
      }],
      ["fill", "a", 0x7e],
      ["free", "a"],
      ["restored", "empty"],
    ],
  };
  const full = (c.exhaust ?? []).map(({ reserve, size, fits }) => {
    const names = Array.from({ length: fits }, (_, i) => `a${i}`);
    return {
      name: `${fits} × alloc(${size}) fill ${reserve} bytes, then it refuses`,
      reserve,
      ops: [
        ["snapshot", "empty"],
        ...names.map((a): Op<X> => ["alloc", a, size]),
        refused(({ allocator }) => allocator.alloc(size), {
          error: OutOfMemoryError,
          message: /^(Out of memory|Fixed region is full|Arena cannot hold)/,
        }),
        ...[...names].reverse().map((a): Op<X> => ["free", a]),
        ["restored", "empty"],
        ["alloc", "again", size],
      ],
      expect: { same: [["a0", "again"]] },
    } satisfies ContractCase<X>;
  });
  return t.largest ? [largest, ...full] : full;
}

function traitsOf<X>(c: Contract<X>): Traits {
  using probe = c.make();
  return {
    olderFree: probe.olderFree,
    parent: probe.destroyParent !== undefined,
    largest: probe.largest !== undefined,
  };
}

/** Registers the contract suite for one allocator kind. */
export function conformance<X>(c: Contract<X>): void {
  const traits = traitsOf(c);
  const groups: [string, ContractCase<X>[]][] = [
    ["sizes", sizes(c)],
    ["zeroing", zeroing(c)],
    ["resize", resizing()],
    ["bad sizes", badSizes()],
    ["bad pointers", badPointers(c)],
    ["size check (jemalloc)", sizeCheck(c)],
    ["double free", doubleFree(c, traits)],
    ["after destroy", afterDestroy(c, traits)],
    ["exhaustion", exhaustion(c, traits)],
  ];
  Deno.test(`Allocator contract: ${c.name}`, async (t) => {
    for (const [group, cases] of groups) {
      if (cases.length === 0) continue;
      await t.step(group, async (t) => {
        for (const k of cases) {
          await t.step(k.name, () => {
            runCase(() => c.make(k.reserve), k, contractKind(c.live), {
              twin: c.twin ?? true,
            });
          });
        }
      });
    }
    await t.step("natural alignment (snmalloc)", () => {
      using s = c.make(2 ** 24);
      naturalAlignment(s as Subject<unknown>);
    });
    const [max, maxSize] = (() => {
      using probe = c.make(2 ** 24);
      return [alignmentSupport(probe as Subject<unknown>), probe.maxSize];
    })();
    if (max === 0) {
      await t.step(
        "alignment matrices: skipped, alloc ignores its alignment argument (not yet supported)",
        () => {},
      );
      return;
    }
    // The matrices' sizes reach 1 MiB: a pool's blocks are one fixed size.
    if (maxSize < MATRIX_MAX_SIZE) {
      await t.step(
        `alignment matrices: skipped, its largest block is ${maxSize} bytes (they need ${MATRIX_MAX_SIZE})`,
        () => {},
      );
      return;
    }
    await t.step(`alignment matrices (up to ${max})`, async (t) => {
      for (const [name, run] of MATRICES) {
        await t.step(name, () => {
          using s = c.make(2 ** 24);
          run(s.allocator, max);
        });
      }
    });
  });
}
