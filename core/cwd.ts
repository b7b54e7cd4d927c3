/**
 * The directory the user typed the command in. `deno task` and `npm run`/`bun run` scripts run in the
 * repository root, so `--target vtable:../libmine.so` typed in a subfolder would be looked up from the
 * root; the command's first act is therefore to go back to the user's directory:
 *
 * 1. `ALLOCSPEC_CWD` (set by the installed `allocspec` command to its own working directory),
 * 2. `INIT_CWD` (set by `deno task`, npm and npx to the directory they were started in),
 * 3. the process's working directory.
 *
 * A value that is not an existing directory is ignored.
 *
 * @example
 * ```ts
 * import { enterUserCwd } from "./cwd.ts";
 * enterUserCwd(); // process.cwd() is now where the user typed the command
 * ```
 * @module
 */
import { statSync } from "node:fs";
import process from "node:process";

/** The user's directory (see the module doc for the order). */
export function userCwd(env: Record<string, string | undefined> = process.env): string {
  for (const d of [env.ALLOCSPEC_CWD, env.INIT_CWD]) {
    if (!d) continue;
    try {
      if (statSync(d).isDirectory()) return d;
    } catch { /* not there: next */ }
  }
  return process.cwd();
}

/** chdir to {@link userCwd}; returns it. Child processes inherit it. */
export function enterUserCwd(): string {
  const d = userCwd();
  if (d !== process.cwd()) process.chdir(d);
  return d;
}
