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
import process from "node:process";
import { parseArgs } from "node:util";
import { barplot, bench, boxplot, group, run, summary } from "mitata";
import { microGroups } from "./_micro.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { filter: { type: "string" } },
});

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
        benches.forEach(({ name, fn }, i) => bench(name, fn).baseline(i === 0));
      });
    });
  });
}
await run({
  colors: false,
  filter: values.filter === undefined ? undefined : new RegExp(values.filter),
});
