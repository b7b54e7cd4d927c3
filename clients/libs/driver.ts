/**
 * The libs driver, TypeScript side: how a (target, library) run is started. `driverLaunch(target)`
 * resolves the target with the launcher's one resolution (`launchSpec`, targets/launcher.ts: same syntax,
 * same one-line errors, exit 2) into the environment of `libs-driver` (driver.c: libpython pre-initialised,
 * the allocator installed by the launcher's allocator.c, the harness's `libs_run` called with libpython's
 * `PyMem_Raw*`); `runDriver` runs it once and collects what it printed.
 *
 * Layers, from the allocator up (issue 19): the allocator under test; the checking layer (debug/check, on
 * unless `check` is false: every call checked against the conformance rules, the rule named when one
 * breaks); the debug hooks: liballocspec's (`native`: violations collected by the harness, the run goes
 * on) on every target but `cpython`, which keeps CPython's own `PyMem_SetupDebugHooks()` (a violation
 * aborts); then the harness's counting and live-block table, and the library.
 *
 * @example
 * ```ts ignore
 * import { driverLaunch, runDriver } from "./driver.ts";
 * import { buildHarness } from "./build.ts";
 * const launch = driverLaunch("native");
 * const out = await runDriver(launch, buildHarness("zlib"), "quick", {}, 60_000);
 * console.log(out.status, out.stdout.includes("@@libs@@"));
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { controlledEnv } from "../../core/env.ts";
import { checkLayerOptions } from "../../debug/check/launch.ts";
import { parseTarget } from "../../targets/kinds.ts";
import { launchSpec, userCommand } from "../../targets/launcher.ts";
import { buildDriver } from "./build.ts";

/** The prefix of the driver's result line (output the libraries print themselves is ignored). */
export const RESULT_PREFIX = "@@libs@@";

/** How one target's runs are started. */
export interface DriverLaunch {
  /** the target as the user wrote it */
  target: string;
  /** libs-driver */
  exe: string;
  /** the launcher's environment for this target (ALLOCSPEC_LIBPYTHON, _ALLOCATOR, _DEBUG_HOOKS, ...) */
  env: Record<string, string>;
  /** the resolved ALLOCSPEC_ALLOCATOR */
  allocator: string;
  /** the debug hooks over the checking layer in these runs */
  debugHooks: LibsDebugHooks;
}

/** How a driver run ended. */
export interface DriverOutcome {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * The debug hooks over the checking layer: liballocspec's (`native`, the default except on `cpython`),
 * CPython's (`cpython`, the default there) or `none` (then every request reaches the allocator with the
 * library's own size: the hooks add 24 bytes to each and answer realloc(NULL, n) and zero sizes themselves).
 */
export type LibsDebugHooks = "native" | "cpython" | "none";

/** The checking layer in libs runs: `stop` at the first violation (default), `count` them all, or off. */
export type LibsCheck = "stop" | "count" | false;

/**
 * Resolves `target` (throws UsageError, one line, for a bad one) and builds the driver when stale.
 */
export function driverLaunch(
  target: string,
  check: LibsCheck = "stop",
  debugHooks?: LibsDebugHooks,
): DriverLaunch {
  const { kind } = parseTarget(target);
  const hooks = debugHooks ?? (kind === "cpython" ? "cpython" : "native");
  const spec = launchSpec({
    target,
    debugHooks: hooks === "none" ? "" : hooks,
    env: controlledEnv(),
    check: check
      ? checkLayerOptions({ mode: check, repro: `${userCommand("libs")} --target ${target}` })
      : undefined,
  });
  return { target, exe: buildDriver(), env: spec.env, allocator: spec.allocator, debugHooks: hooks };
}

/**
 * Runs the driver once: `HARNESS.so OPTIONS` with the target's environment plus `extra` (the fault
 * engine's `ALLOCSPEC_FAULTS_*`; a value of "" removes a variable). Killed with SIGKILL after `timeoutMs`.
 */
export function runDriver(
  launch: DriverLaunch,
  so: string,
  options: string,
  extra: Record<string, string>,
  timeoutMs: number,
): Promise<DriverOutcome> {
  const env = { ...launch.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === "") delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve) => {
    const p = spawn(launch.exe, [so, options], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", timedOut = false;
    p.stdout.on("data", (d) => stdout += d);
    p.stderr.on("data", (d) => stderr += d);
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill("SIGKILL");
    }, timeoutMs);
    let spawnError = "";
    p.on("error", (e) => spawnError = `libs-driver: ${e.message}\n`);
    p.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr: stderr + spawnError, timedOut });
    });
  });
}
