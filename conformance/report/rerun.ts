/**
 * The command that reruns one run alone: the same program and target, `--filter '^<case>$'`,
 * `--domain`, `--variant` when the case has variants, `--profile`, and the options that change a verdict
 * when they are not the defaults (`--abi 2013`, `--timeout S`). Every report format prints it beside each
 * FAIL and ERROR. Run from the same directory as the original command (relative target paths resolve
 * there).
 *
 * @example
 * ```ts
 * import { rerunCommand } from "./rerun.ts";
 * rerunCommand(
 *   { target: "mutant:realloc_zero_frees", case: "zero_size/realloc_to_zero_non_null", domain: "RAW", profile: "cpython" },
 *   { prog: "npx deno task conformance", abi: "shipped", timeoutS: 20 },
 * );
 * // "npx deno task conformance --target mutant:realloc_zero_frees --filter '^zero_size/realloc_to_zero_non_null$' --domain RAW --profile cpython"
 * ```
 * @module
 */
import process from "node:process";
import type { Result } from "../execute.ts";

/** What a rerun command needs of the original run's options. */
export interface RerunContext {
  /** the program: "npx deno task conformance", "npx bun run conformance", "npx allocspec conformance" */
  prog: string;
  abi: "shipped" | "2013";
  timeoutS: number;
}

/** The defaults of cli.ts (a rerun leaves them out). */
export const DEFAULT_RERUN_OPTIONS = { abi: "shipped", timeoutS: 20 } as const;

/** Quotes one shell word (POSIX sh) when it needs it. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * The program a user reruns with: the installed launcher sets ALLOCSPEC_COMMAND ("allocspec
 * conformance", run as `npx allocspec conformance`); in the repository, this runtime's documented entry.
 */
export function rerunProgram(): string {
  const installed = process.env.ALLOCSPEC_COMMAND;
  if (installed) return `npx ${installed}`;
  return (globalThis as any).Bun ? "npx bun run conformance" : "npx deno task conformance";
}

/** The rerun context of this process with the given options. */
export function rerunContext(o: Partial<Omit<RerunContext, "prog">> = {}): RerunContext {
  return { prog: rerunProgram(), ...DEFAULT_RERUN_OPTIONS, ...o };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The command line that reruns `r` alone. */
export function rerunCommand(
  r: Pick<Result, "target" | "case" | "domain" | "profile"> & { variant?: string },
  ctx: RerunContext,
): string {
  const args = ["--target", r.target, "--filter", `^${escapeRegExp(r.case)}$`];
  if (r.domain !== "-") args.push("--domain", r.domain); // a case without domains has only "-"
  if (r.variant !== undefined) args.push("--variant", r.variant);
  args.push("--profile", r.profile);
  if (ctx.abi !== DEFAULT_RERUN_OPTIONS.abi) args.push("--abi", ctx.abi);
  if (ctx.timeoutS !== DEFAULT_RERUN_OPTIONS.timeoutS) args.push("--timeout", String(ctx.timeoutS));
  return [ctx.prog, ...args.map(shellQuote)].join(" ");
}
