/**
 * The target flags of every command, one spelling each: `--target SPEC` (kinds.ts grammar; repeatable where
 * a command compares several) and `--debug-hooks[=cpython|native|none]` (a bare `--debug-hooks` means
 * CPython's own, `PyMem_SetupDebugHooks()` of libpython). Old spellings are aliases that print a one-line
 * note on stderr and work as before:
 *
 * - `--allocator SPEC` / `--allocator=SPEC` (python, clients, faults, leaks): `--target SPEC`;
 * - `--debug-hooks cpython|native|none` (clients, a separate word): `--debug-hooks=...`.
 *
 * Only arguments before a `--` are rewritten (what follows belongs to the program).
 *
 * @example
 * ```ts
 * import { normalizeTargetFlags, parseDebugHooks } from "./flags.ts";
 * const argv = normalizeTargetFlags(["--allocator", "native", "--debug-hooks", "--", "-c", "1"], "python");
 * // ["--target", "native", "--debug-hooks=cpython", "--", "-c", "1"] (and a note on stderr)
 * parseDebugHooks("none"); // ""
 * ```
 * @module
 */
import { UsageError } from "../core/usage.ts";

/** Which debug hooks go over the allocator: none (""), liballocspec's, or libpython's `PyMem_SetupDebugHooks()`. */
export type DebugHooks = "" | "native" | "cpython";

/** The values `--debug-hooks=` takes. */
export const DEBUG_HOOK_VALUES: readonly string[] = ["cpython", "native", "none"];

/**
 * `argv` with the old spellings rewritten to the one spelling (module doc); each old spelling used prints
 * one note through `note` (default: stderr), once.
 */
export function normalizeTargetFlags(
  argv: readonly string[],
  command: string,
  note: (line: string) => void = (l) => console.error(l),
): string[] {
  const end = argv.indexOf("--");
  const head = end < 0 ? [...argv] : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  const noted = new Set<string>();
  const once = (key: string, line: string) => {
    if (!noted.has(key)) note(`${command}: ${line}`);
    noted.add(key);
  };
  const out: string[] = [];
  for (let i = 0; i < head.length; i++) {
    const a = head[i];
    if (a === "--allocator" || a.startsWith("--allocator=")) {
      once("allocator", "--allocator is deprecated: use --target (same syntax)");
      out.push(a === "--allocator" ? "--target" : `--target=${a.slice("--allocator=".length)}`);
    } else if (a === "--debug-hooks") {
      const next = head[i + 1];
      if (next !== undefined && DEBUG_HOOK_VALUES.includes(next)) {
        once("hooks", `'--debug-hooks ${next}' is deprecated: use --debug-hooks=${next}`);
        out.push(`--debug-hooks=${next}`);
        i++;
      } else {
        out.push("--debug-hooks=cpython");
      }
    } else {
      out.push(a);
    }
  }
  return [...out, ...tail];
}

/** The value of `--debug-hooks=V` (undefined: the flag was absent): one UsageError line for a bad one. */
export function parseDebugHooks(value: string | undefined, fallback: DebugHooks = ""): DebugHooks {
  if (value === undefined) return fallback;
  if (value === "none") return "";
  if (value === "cpython" || value === "native") return value;
  throw new UsageError(`--debug-hooks=${value}: use --debug-hooks, --debug-hooks=cpython, =native or =none`);
}
