/**
 * The command lines of `python`, `faults` and `leaks`: the command's own options, then a program's
 * arguments (`faults --jobs 1 -- prog.py --its-flag`). Everything after `--` is the program's. Without a
 * `--` the program's arguments start at the first word that is not one of ours: all of ours are long
 * options (`--x`, `--x=v`, `--x v` for the options that take a value) or `-h`, so `faults prog.py` and
 * `python -c 1` work too.
 *
 * Why both: Bun drops a `--` that comes first after the script (`bun cli.ts -- prog.py` gives the
 * script `prog.py`), and `bun run <script> -- args` / `npm run` consume the first `--` as theirs. The
 * package's launcher (cli/allocspec.cjs) hands Bun an extra `--` to drop; `npx bun run faults -- prog.py`
 * reaches the command as `prog.py` and still means the same.
 *
 * @example
 * ```ts
 * import { splitProgramArgs } from "./argv.ts";
 * const s = splitProgramArgs(["--jobs", "1", "prog.py", "--jobs"], ["--jobs"]);
 * console.log(s.own, s.program); // ["--jobs", "1"] ["prog.py", "--jobs"]
 * ```
 * @module
 */

/** A command line split into the command's options and the program's arguments. */
export interface SplitArgs {
  /** the command's own options (before `--`, or before the first word that is not an option of ours) */
  own: string[];
  /** the program's arguments, untouched */
  program: string[];
}

/**
 * Splits `argv` at `--`, or without one at the first word that is not one of our options; `valued` lists
 * our options that take their value as the next word (`--jobs`).
 */
export function splitProgramArgs(argv: readonly string[], valued: readonly string[]): SplitArgs {
  const dd = argv.indexOf("--");
  if (dd >= 0) return { own: argv.slice(0, dd), program: argv.slice(dd + 1) };
  for (let i = 0; i < argv.length; i++) {
    if (valued.includes(argv[i])) i++;
    else if (!argv[i].startsWith("--") && argv[i] !== "-h") {
      return { own: argv.slice(0, i), program: argv.slice(i) };
    }
  }
  return { own: [...argv], program: [] };
}

/** The `--name` options of a `node:util` parseArgs configuration that take a value. */
export function valuedOptions(options: Record<string, { type: "string" | "boolean" }>): string[] {
  return Object.entries(options).filter(([, o]) => o.type === "string").map(([k]) => `--${k}`);
}
