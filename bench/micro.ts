/**
 * The micro benchmarks with mitata, one file for every runtime:
 *
 * ```sh
 * deno run --allow-env=NODE_ENV bench/micro.ts
 * node bench/micro.ts        # Node ≥ 22 (after `deno install --config bench/deno.json`)
 * bun bench/micro.ts
 * ```
 *
 * `deno task bench:micro` runs it under each. Per group: mitata's table, a
 * bar or box plot and a summary against the first benchmark. Everything is on
 * ArrayBuffer memory (`_micro.ts`); `--filter REGEX` runs only the
 * benchmarks whose names match.
 *
 * @module
 */
import { barplot, bench, boxplot, group, run, summary } from "mitata";
import { main, strictArgs } from "./_cli.ts";
import { microGroups } from "./_micro.ts";

/** The `--help` text. */
export const HELP = `\
deno task bench:micro   (deno run --allow-env=NODE_ENV bench/micro.ts [options];
                         node bench/micro.ts; bun bench/micro.ts)

The micro benchmarks with mitata, on ArrayBuffer memory in every runtime.

  --filter REGEX  only the benchmarks whose names match
  -h, --help      print this and exit`;

/**
 * Parses the command line (`strictArgs`).
 *
 * @param args The arguments.
 * @returns The filter, if any; throws a TypeError naming a bad option or a
 *   bad regular expression.
 */
export function parseMicroOptions(
  args: string[],
): { filter: RegExp | undefined; help: boolean } {
  const values = strictArgs(args, {
    filter: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  let filter: RegExp | undefined;
  try {
    filter = values.filter === undefined
      ? undefined
      : new RegExp(values.filter);
  } catch (e) {
    throw new TypeError(
      `--filter needs a regular expression: ${
        (e as Error).message
      } (see --help)`,
    );
  }
  return { filter, help: values.help };
}

await main(parseMicroOptions, HELP, async ({ filter }) => {
  // The scratch rows' arenas are on defaultPages(): an OsPages where Deno may
  // use FFI. Without that permission it is a BufferPages, as it is in Node,
  // Bun and a browser, so every row runs on ArrayBuffer memory in every
  // runtime, even under `deno run -A`.
  if (typeof Deno !== "undefined") Deno.permissions.revokeSync({ name: "ffi" });

  // mitata times a benchmark in batches only if its first call is fast; a
  // first call that compiles the allocator's code is not, so each runs a few
  // hundred times first.
  const groups = microGroups();
  for (const { fn } of groups.flatMap((g) => g.benches)) {
    for (let i = 0; i < 500; i++) fn();
  }

  for (const { title, plot, benches } of groups) {
    group(title, () => {
      (plot === "bar" ? barplot : boxplot)(() => {
        summary(() => {
          benches.forEach(({ name, fn }, i) =>
            bench(name, fn).baseline(i === 0)
          );
        });
      });
    });
  }
  await run({
    colors: false,
    filter,
  });
});
