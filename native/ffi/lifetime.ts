/**
 * How long a child the runner starts may live, set by the child itself through libc (issue 17: "no process
 * outlives the CLI, whatever the exit path"):
 *
 * - {@link dieWithParent}: `prctl(PR_SET_PDEATHSIG, SIGKILL)` (Linux): the kernel kills this process when
 *   the thread that started it ends, even when the runner was killed with SIGKILL and could clean nothing
 *   up. A worker stuck in a target's C code (a malloc that never returns) cannot run JavaScript, so only
 *   the kernel can end it then. When the parent is already gone (its pid, passed in {@link PARENT_ENV},
 *   is no longer our parent), the process exits at once.
 * - {@link ownProcessGroup}: `setpgid(0, 0)`: this process leads a process group of its own, so the runner
 *   can kill it together with whatever a target forks (a library constructor that forks a child keeping
 *   stdout open), with one `kill(-pgid)`. Asynchronous children get their group from `detached` spawns; a
 *   synchronous one (the library probe) makes it itself.
 *
 * Both are best effort: without libc's prctl (not Linux) they do nothing.
 *
 * @example
 * ```ts
 * import { dieWithParent, ownProcessGroup } from "./lifetime.ts";
 * dieWithParent();
 * ownProcessGroup();
 * ```
 * @module
 */
import process from "node:process";
import { ffi } from "./backend.ts";
import type { SymbolTable } from "./ffi_types.ts";
import { PARENT_ENV } from "../../core/group.ts";

export { PARENT_ENV };

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

const TABLE: SymbolTable = {
  prctl: { params: ["i32", "u64"], result: "i32" },
  setpgid: { params: ["i32", "i32"], result: "i32" },
};

type Fns = { prctl?: (opt: number, arg: number) => number; setpgid?: (pid: number, pgid: number) => number };
let fns: Fns | undefined;
function libc(): Fns {
  if (fns) return fns;
  try {
    const s = ffi.open("libc.so.6", TABLE).symbols;
    fns = { prctl: s.prctl as Fns["prctl"], setpgid: s.setpgid as Fns["setpgid"] };
  } catch {
    fns = {};
  }
  return fns;
}

/**
 * Asks the kernel to SIGKILL this process when its parent ends; exits at once when the parent named by
 * {@link PARENT_ENV} is already gone. Returns true when the request was made.
 */
export function dieWithParent(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const f = libc().prctl;
  if (!f) return false;
  const ok = f(PR_SET_PDEATHSIG, SIGKILL) === 0;
  const parent = Number(env[PARENT_ENV] ?? "");
  // the parent died between our start and the prctl: the kernel will not tell us any more
  if (ok && Number.isInteger(parent) && parent > 0 && process.ppid !== parent) process.exit(137);
  return ok;
}

/** Makes this process the leader of a new process group (its pid); returns true on success. */
export function ownProcessGroup(): boolean {
  const f = libc().setpgid;
  return f ? f(0, 0) === 0 : false;
}
