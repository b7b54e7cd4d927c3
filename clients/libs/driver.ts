/**
 * The libs driver, TypeScript side: how a (target, library) run is started. `driverLaunch(target)`
 * resolves the target with the launcher's one resolution (`launchSpec`, clients/launcher.ts: same syntax,
 * same one-line errors, exit 2) into the environment of `libs-driver` (driver.c: libpython pre-initialised,
 * the allocator installed by the launcher's allocator.c, the harness's `libs_run` called with libpython's
 * `PyMem_Raw*`); `runDriver` runs it once and collects what it printed.
 *
 * Debug hooks: liballocspec's (`native`: violations collected by the harness, the run goes on) on every
 * target but `cpython`, which keeps CPython's own `PyMem_SetupDebugHooks()` (a violation aborts).
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
import { controlledEnv } from "../../conformance/child_env.ts";
import { parseTarget } from "../../conformance/adapters/mod.ts";
import { launchSpec } from "../launcher.ts";
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
 * Resolves `target` (throws UsageError, one line, for a bad one) and builds the driver when stale.
 */
export function driverLaunch(target: string): DriverLaunch {
  const { kind } = parseTarget(target);
  const spec = launchSpec({
    allocator: target,
    debugHooks: kind === "cpython" ? "cpython" : "native",
    env: controlledEnv(),
  });
  return { target, exe: buildDriver(), env: spec.env, allocator: spec.allocator };
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
