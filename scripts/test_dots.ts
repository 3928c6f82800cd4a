/**
 * The short test output of `deno task test`: runs `deno test --reporter=dot`
 * with the arguments given and passes its output through as it comes, except
 * the progress marks. Deno's dot reporter wraps its marks (`.` passed, `,`
 * ignored, `!` failed; one per test and per step) at the terminal's width,
 * and prints each on a line of its own when its output is not a terminal (a
 * pipe, a CI log): some 6,000 lines for this repository. Here they are
 * joined, {@linkcode MARKS_PER_LINE} to a line. Everything else — what tests
 * print, the ERRORS section (each failure's message, diff and stack, under
 * `name => ./file.ts:line:column`), the FAILURES list and the summary — is
 * printed as Deno prints it, and the exit code is deno test's.
 *
 * `deno run --allow-run scripts/test_dots.ts [deno test flags and paths]`
 * (`deno task test:verbose` runs the same tests with one line per test and
 * step instead).
 *
 * @module
 */

/** How many progress marks are printed to a line. */
export const MARKS_PER_LINE = 100;

// deno test colours its output (unless NO_COLOR is set) even into a pipe.
// deno-lint-ignore no-control-regex
const COLOUR = /\x1b\[[0-9;]*m/g;

/** Whether a line of the dot reporter's output is progress marks only. */
export function isMarks(line: string): boolean {
  return /^[.,!]+$/.test(line.replace(COLOUR, ""));
}

/**
 * Joins the dot reporter's lines of marks: takes the output's lines as they
 * come and gives the lines to print, marks {@linkcode MARKS_PER_LINE} to a
 * line (a shorter one before any other line, and at the end).
 *
 * @example
 * ```ts
 * import { MarkJoiner, MARKS_PER_LINE } from "./test_dots.ts";
 * import assert from "node:assert/strict";
 *
 * const joiner = new MarkJoiner();
 * for (let i = 1; i < MARKS_PER_LINE; i++) assert.deepEqual(joiner.line("."), []);
 * assert.deepEqual(joiner.line("!"), [".".repeat(MARKS_PER_LINE - 1) + "!"]);
 * assert.deepEqual(joiner.line(","), []);
 * assert.deepEqual(joiner.line(" ERRORS "), [",", " ERRORS "]);
 * assert.deepEqual(joiner.end(), []);
 * ```
 */
export class MarkJoiner {
  #marks = "";
  #count = 0;

  /**
   * One line of output (without its newline).
   *
   * @returns The lines to print now.
   */
  line(line: string): string[] {
    if (!isMarks(line)) return [...this.end(), line];
    this.#marks += line;
    this.#count += line.replace(COLOUR, "").length;
    return this.#count >= MARKS_PER_LINE ? this.end() : [];
  }

  /** @returns The marks not printed yet, as one line (none if none). */
  end(): string[] {
    if (this.#count === 0) return [];
    const marks = this.#marks;
    this.#marks = "";
    this.#count = 0;
    return [marks];
  }
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--reporter=dot", ...Deno.args],
    stdout: "piped",
  }).spawn();
  const joiner = new MarkJoiner();
  const print = (lines: string[]) => {
    if (lines.length > 0) console.log(lines.join("\n"));
  };
  let rest = "";
  for await (
    const text of child.stdout.pipeThrough(new TextDecoderStream())
  ) {
    const lines = (rest + text).split("\n");
    rest = lines.pop()!;
    for (const line of lines) print(joiner.line(line));
  }
  if (rest !== "") print(joiner.line(rest));
  print(joiner.end());
  Deno.exit((await child.status).code);
}
