// The command line of the bench's scripts (report, heap map): strict
// options, a bad one a TypeError pointing to --help, and the main that turns
// it into exit code 2 or prints the help.
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
 * Parses `Deno.args`, then prints `help` if asked or runs the script; a bad
 * command line prints its message on stderr and exits 2.
 *
 * @param parse Parses the arguments (throws on a bad one).
 * @param help The `--help` text.
 * @param run The script.
 */
export async function main<O extends { help: boolean }>(
  parse: (args: string[]) => O,
  help: string,
  run: (options: O) => Promise<void>,
): Promise<void> {
  let options: O;
  try {
    options = parse(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  if (options.help) console.log(help);
  else await run(options);
}
