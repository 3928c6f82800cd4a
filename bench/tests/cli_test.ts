// The command lines of the cross-worker, binary trees, peak release,
// particles and micro scripts: each bad one a TypeError naming the argument
// (exit 2 from the script), each good one its values; and the micro
// benchmarks' memory.
import assert from "node:assert/strict";
import { integerArg, positionalArgs } from "../_cli.ts";
import { parseCrossWorkerOptions } from "../cross_worker.ts";
import { parseBinaryTreesArgs } from "../binary_trees.ts";
import { parsePeakReleaseArgs } from "../peak_release.ts";
import { parseParticlesArgs } from "../particles.ts";
import { runScript } from "./_run.ts";

const PARSERS: Record<string, (args: string[]) => unknown> = {
  cross_worker: parseCrossWorkerOptions,
  binary_trees: parseBinaryTreesArgs,
  peak_release: parsePeakReleaseArgs,
  particles: parseParticlesArgs,
};

// Each script's good command lines and what they must give.
const GOOD: [script: string, args: string[], expect: unknown][] = [
  ["cross_worker", [], {
    workers: [1, 2, 4],
    rounds: 4000,
    runs: 3,
    help: false,
  }],
  [
    "cross_worker",
    ["--workers=1,64", "--rounds", "1", "--runs=100"],
    { workers: [1, 64], rounds: 1, runs: 100, help: false },
  ],
  ["cross_worker", ["-h"], {
    workers: [1, 2, 4],
    rounds: 4000,
    runs: 3,
    help: true,
  }],
  ["binary_trees", [], { kind: "all", depth: 18, rounds: 3, help: false }],
  [
    "binary_trees",
    ["pool-reset", "4", "100"],
    { kind: "pool-reset", depth: 4, rounds: 100, help: false },
  ],
  ["binary_trees", ["js", "24"], {
    kind: "js",
    depth: 24,
    rounds: 3,
    help: false,
  }],
  ["binary_trees", ["bad", "--help"], {
    kind: "all",
    depth: 18,
    rounds: 3,
    help: true,
  }],
  ["peak_release", [], { kind: "all", mib: 256, help: false }],
  ["peak_release", ["none", "1"], { kind: "none", mib: 1, help: false }],
  ["peak_release", ["heap", "2048"], { kind: "heap", mib: 2048, help: false }],
  ["particles", [], { kind: "all", steps: 200, help: false }],
  ["particles", ["array-at", "10"], {
    kind: "array-at",
    steps: 10,
    help: false,
  }],
  ["particles", ["compare"], { kind: "compare", rounds: 30, help: false }],
  // Rounds, not steps: 200 is 200 rounds (it was 30, taken for the default).
  ["particles", ["compare", "200"], {
    kind: "compare",
    rounds: 200,
    help: false,
  }],
];

for (const [script, args, expect] of GOOD) {
  Deno.test(`${script} ${JSON.stringify(args)}`, () => {
    assert.deepEqual(PARSERS[script](args), expect);
  });
}

// Each script's bad command lines and what their TypeError must say.
const BAD: [script: string, args: string[], message: string][] = [
  [
    "cross_worker",
    ["--workers=0"],
    '--workers needs an integer from 1 to 64, got "0" (see --help)',
  ],
  [
    "cross_worker",
    ["--workers=65"],
    '--workers needs an integer from 1 to 64, got "65"',
  ],
  [
    "cross_worker",
    ["--workers=1,,2"],
    '--workers needs an integer from 1 to 64, got ""',
  ],
  [
    "cross_worker",
    ["--workers=1.5"],
    '--workers needs an integer from 1 to 64, got "1.5"',
  ],
  [
    "cross_worker",
    ["--rounds=abc"],
    '--rounds needs an integer from 1 to 1000000, got "abc"',
  ],
  [
    "cross_worker",
    ["--rounds=1e3"],
    '--rounds needs an integer from 1 to 1000000, got "1e3"',
  ],
  [
    "cross_worker",
    ["--runs=abc"],
    '--runs needs an integer from 1 to 100, got "abc"',
  ],
  [
    "cross_worker",
    ["--runs=0"],
    '--runs needs an integer from 1 to 100, got "0"',
  ],
  ["cross_worker", ["--bogus"], "Unknown option '--bogus' (see --help)"],
  ["cross_worker", ["4"], "Unexpected argument '4'"],
  [
    "binary_trees",
    ["all", "abc"],
    'Argument depth needs an integer from 4 to 24, got "abc" (see --help)',
  ],
  [
    "binary_trees",
    ["heap", "3"],
    'Argument depth needs an integer from 4 to 24, got "3"',
  ],
  [
    "binary_trees",
    ["heap", "25"],
    'Argument depth needs an integer from 4 to 24, got "25"',
  ],
  [
    "binary_trees",
    ["heap", "-3"],
    'Argument depth needs an integer from 4 to 24, got "-3"',
  ],
  [
    "binary_trees",
    ["all", "10", "0"],
    'Argument rounds needs an integer from 1 to 100, got "0"',
  ],
  [
    "binary_trees",
    ["all", "10", "x"],
    'Argument rounds needs an integer from 1 to 100, got "x"',
  ],
  [
    "binary_trees",
    ["bogus"],
    'Unknown kind "bogus"; known: all, js, heap, pool, pool-reset (see --help)',
  ],
  [
    "binary_trees",
    ["heap", "4", "1", "extra"],
    'Too many arguments: "extra" after kind, depth, rounds (see --help)',
  ],
  [
    "binary_trees",
    ["--depth=4"],
    'Unknown option "--depth=4": this script takes kind, depth, rounds in that order (see --help)',
  ],
  [
    "peak_release",
    ["bogus"],
    'Unknown kind "bogus"; known: all, heap, none (see --help)',
  ],
  [
    "peak_release",
    ["heap", "abc"],
    'Argument mib needs an integer from 1 to 2048, got "abc"',
  ],
  [
    "peak_release",
    ["heap", "0"],
    'Argument mib needs an integer from 1 to 2048, got "0"',
  ],
  [
    "peak_release",
    ["heap", "0.5"],
    'Argument mib needs an integer from 1 to 2048, got "0.5"',
  ],
  [
    "peak_release",
    ["none", "1", "x"],
    'Too many arguments: "x" after kind, mib',
  ],
  [
    "particles",
    ["bogus"],
    'Unknown kind "bogus"; known: all, soa, js, pool, pool-offsets, heap, array, array-at, compare',
  ],
  [
    "particles",
    ["soa", "abc"],
    'Argument steps needs an integer from 10 to 100000, got "abc"',
  ],
  [
    "particles",
    ["soa", "9"],
    'Argument steps needs an integer from 10 to 100000, got "9"',
  ],
  [
    "particles",
    ["compare", "0"],
    'Argument rounds needs an integer from 1 to 10000, got "0"',
  ],
  [
    "particles",
    ["soa", "10", "x"],
    'Too many arguments: "x" after kind, steps',
  ],
  [
    "particles",
    ["compare", "1", "x"],
    'Too many arguments: "x" after kind, rounds',
  ],
];

for (const [script, args, message] of BAD) {
  Deno.test(`${script} rejects ${JSON.stringify(args)}`, () => {
    assert.throws(() => PARSERS[script](args), (e) => {
      assert.ok(e instanceof TypeError);
      assert.ok(e.message.includes(message), e.message);
      return true;
    });
  });
}

Deno.test("integerArg: decimal digits only, in range", () => {
  assert.equal(integerArg("--n", "007", 1, 10), 7);
  assert.equal(integerArg("--n", "-2", -2, 10), -2);
  for (const bad of ["", " 1", "0x10", "1e1", "1.0", "+1", "11", "0"]) {
    assert.throws(
      () => integerArg("--n", bad, 1, 10),
      new TypeError(
        `--n needs an integer from 1 to 10, got "${bad}" (see --help)`,
      ),
    );
  }
});

Deno.test("positionalArgs: -h anywhere asks for the help, with the defaults", () => {
  const spec = [{ name: "kind", words: ["a"], default: "a" }] as const;
  assert.deepEqual(positionalArgs(["x", "y", "-h"], spec), {
    kind: "a",
    help: true,
  });
});

function run(script: string, ...args: string[]) {
  return runScript(script, ["--allow-ffi", "--allow-env=NODE_ENV"], args);
}

// Each script run with a bad command line: exit 2, the message alone on
// stderr, nothing on stdout.
const EXITS: [script: string, args: string[], stderr: string][] = [
  [
    "cross_worker.ts",
    ["--workers=0"],
    '--workers needs an integer from 1 to 64, got "0" (see --help)\n',
  ],
  [
    "binary_trees.ts",
    ["all", "abc"],
    'Argument depth needs an integer from 4 to 24, got "abc" (see --help)\n',
  ],
  [
    "peak_release.ts",
    ["bogus"],
    'Unknown kind "bogus"; known: all, heap, none (see --help)\n',
  ],
  [
    "particles.ts",
    ["soa", "10", "x"],
    'Too many arguments: "x" after kind, steps (see --help)\n',
  ],
  ["micro.ts", ["--bogus"], "Unknown option '--bogus' (see --help)\n"],
  [
    "micro.ts",
    ["--filter=("],
    "--filter needs a regular expression: Invalid regular expression: /(/: Unterminated group (see --help)\n",
  ],
];

for (const [script, args, stderr] of EXITS) {
  Deno.test(`${script} ${args.join(" ")} exits 2 with the message on stderr`, async () => {
    const out = await run(script, ...args);
    assert.deepEqual(out, { code: 2, stdout: "", stderr });
  });
}

Deno.test("binary_trees.ts --help prints the help and exits 0", async () => {
  const out = await run("binary_trees.ts", "--help");
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stdout,
    /^deno run -A bench\/binary_trees\.ts \[kind\] \[depth\] \[rounds\]\n/,
  );
});

// Even where FFI is allowed, the scratch rows' page source falls back to a
// BufferPages (defaultPages() says so once on stderr), as in every runtime.
Deno.test("micro.ts runs the scratch rows on ArrayBuffer memory under --allow-ffi", async () => {
  // A filter that matches nothing: the groups are made and warmed up only.
  const out = await run("micro.ts", "--filter=^$");
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stderr,
    /no FFI permission, so memory comes from a plain ArrayBuffer \(BufferPages\)/,
  );
});
