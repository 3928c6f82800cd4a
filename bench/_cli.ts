// The command line of the bench's scripts (report, heap map, cross-worker,
// micro, binary trees, peak release, particles): strict options or checked
// positional arguments, a bad one a TypeError pointing to --help, and the
// main that turns it into exit code 2 or prints the help.

// node:process, not Deno's globals: micro.ts runs in Node and Bun too.
import process from "node:process";
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/**
 * `parseArgs` with no positionals and no unknown options.
 *
 * @param args The arguments.
 * @param options The options, as `parseArgs` takes them.
 * @returns The values; throws a TypeError naming a bad option.
 */
export function strictArgs<T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false })
      .values;
  } catch (e) {
    throw new TypeError(`${(e as Error).message} (see --help)`);
  }
}

/**
 * An integer argument, in its range.
 *
 * @example
 * ```ts
 * import { integerArg } from "./_cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(integerArg("--rounds", "20", 1, 100), 20);
 * assert.throws(
 *   () => integerArg("--rounds", "1e3", 1, 100),
 *   /--rounds needs an integer from 1 to 100, got "1e3"/,
 * );
 * ```
 *
 * @param label What the message calls it (`--rounds`, `Argument depth`).
 * @param value The argument as given.
 * @param min The smallest value taken.
 * @param max The largest value taken.
 * @returns The value; throws a TypeError naming `label` if `value` is not
 *   decimal digits (`1e3`, `0x10`, `1.0` and `""` are refused) or is out of
 *   range.
 */
export function integerArg(
  label: string,
  value: string,
  min: number,
  max: number,
): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    throw new TypeError(
      `${label} needs an integer from ${min} to ${max}, got "${value}" (see --help)`,
    );
  }
  return n;
}

/**
 * One positional argument of a script: one of some words, or an integer in a
 * range; `default` when it is not given.
 */
export type Positional =
  | { name: string; words: readonly string[]; default: string }
  | { name: string; min: number; max: number; default: number };

/** What {@linkcode positionalArgs} gives: each argument by its name. */
export type PositionalValues<P extends readonly Positional[]> =
  & {
    [A in P[number] as A["name"]]: A extends { words: readonly (infer W)[] } ? W
      : number;
  }
  & { help: boolean };

/**
 * Parses positional arguments, in order, each checked against its
 * {@linkcode Positional}; `-h` or `--help` anywhere asks for the help.
 *
 * @example
 * ```ts
 * import { positionalArgs } from "./_cli.ts";
 * import assert from "node:assert/strict";
 *
 * const SPEC = [
 *   { name: "kind", words: ["all", "heap"], default: "all" },
 *   { name: "mib", min: 1, max: 4096, default: 256 },
 * ] as const;
 * assert.deepEqual(positionalArgs(["heap"], SPEC), {
 *   kind: "heap",
 *   mib: 256,
 *   help: false,
 * });
 * assert.throws(
 *   () => positionalArgs(["pool"], SPEC),
 *   /Unknown kind "pool"; known: all, heap/,
 * );
 * ```
 *
 * @param args The arguments.
 * @param specs The arguments taken, in order.
 * @returns The values by name, defaults filled in (all of them with
 *   `help`); throws a TypeError naming a bad argument, an option (anything
 *   but a negative number that begins with `-`) or one too many.
 */
export function positionalArgs<const P extends readonly Positional[]>(
  args: string[],
  specs: P,
): PositionalValues<P> {
  const help = args.some((a) => a === "-h" || a === "--help");
  const values: Record<string, string | number | boolean> = { help };
  if (help) {
    for (const spec of specs) values[spec.name] = spec.default;
    return values as PositionalValues<P>;
  }
  // A negative number is an argument (and out of range), not an option.
  const option = args.find((a) => /^-\D/.test(a));
  if (option !== undefined) {
    throw new TypeError(
      `Unknown option "${option}": this script takes ${
        specs.map((s) => s.name).join(", ")
      } in that order (see --help)`,
    );
  }
  if (args.length > specs.length) {
    throw new TypeError(
      `Too many arguments: "${args[specs.length]}" after ${
        specs.map((s) => s.name).join(", ")
      } (see --help)`,
    );
  }
  specs.forEach((spec, i) => {
    const given = args[i];
    if ("words" in spec) {
      if (given !== undefined && !spec.words.includes(given)) {
        throw new TypeError(
          `Unknown ${spec.name} "${given}"; known: ${
            spec.words.join(", ")
          } (see --help)`,
        );
      }
      values[spec.name] = given ?? spec.default;
    } else {
      values[spec.name] = given === undefined
        ? spec.default
        : integerArg(`Argument ${spec.name}`, given, spec.min, spec.max);
    }
  });
  return values as PositionalValues<P>;
}

/**
 * Parses the script's arguments (`Deno.args`, in any runtime), then prints
 * `help` if asked or runs the script; a bad command line prints its message
 * on stderr and exits 2.
 *
 * @param parse Parses the arguments (throws on a bad one).
 * @param help The `--help` text.
 * @param run The script.
 */
export async function main<O extends { help: boolean }>(
  parse: (args: string[]) => O,
  help: string,
  run: (options: O) => void | Promise<void>,
): Promise<void> {
  let options: O;
  try {
    options = parse(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  if (options.help) console.log(help);
  else await run(options);
}
