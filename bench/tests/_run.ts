// Runs a bench script in a Deno of its own, for the tests of its command
// line: exit code and output.

/** What a run of a bench script gave. */
export interface ScriptRun {
  code: number;
  stdout: string;
  /** Without Deno's lines about fetching the bench's npm packages. */
  stderr: string;
}

/**
 * Runs `bench/<script>` with the bench's config.
 *
 * @param script The script's file name in `bench/`.
 * @param flags The flags of `deno run` (permissions).
 * @param args The script's arguments.
 * @returns Its exit code, stdout and stderr.
 */
export async function runScript(
  script: string,
  flags: string[],
  args: string[],
): Promise<ScriptRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      new URL(`../${script}`, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr).replace(/^.*Download\b.*\n/gm, ""),
  };
}
