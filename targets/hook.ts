/**
 * The `hook:LIB[@native|@cpython]` target's argument: a PEP 445 hook library (it exports
 * `pep445_hook_install`) and the implementation it is installed over (native's, the default, or a real
 * libpython's).
 *
 * @example
 * ```ts
 * import { parseHookArg } from "./hook.ts";
 * // parseHookArg("./libmyhook.so@cpython") -> { lib: "/abs/libmyhook.so", base: "cpython" }
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../core/usage.ts";

/** What a hook can be installed over. */
export const HOOK_BASES = ["native", "cpython"] as const;
export type HookBase = typeof HOOK_BASES[number];

/** Parses `LIB[@base]`: the library must exist (made absolute). */
export function parseHookArg(arg: string | undefined): { lib: string; base: HookBase } {
  if (!arg) {
    throw new UsageError("hook target needs a library: --target hook:./libmyhook.so[@native|@cpython]");
  }
  let base: HookBase = "native";
  const at = arg.lastIndexOf("@");
  if (at > 0 && !arg.slice(at).includes("/")) {
    const b = arg.slice(at + 1);
    if (!(HOOK_BASES as readonly string[]).includes(b)) {
      throw new UsageError(`hook target: unknown base '@${b}': use @native (default) or @cpython`);
    }
    base = b as HookBase;
    arg = arg.slice(0, at);
  }
  const lib = resolve(arg);
  if (!existsSync(lib)) throw new UsageError(`hook target: library ${arg} not found`);
  return { lib, base };
}
