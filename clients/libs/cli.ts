/**
 * `deno task libs` / `bun run libs`: external C libraries (zlib, expat, OpenSSL, libxml2, SQLite, and
 * the glib row) routed through the RAW domain of any target, with the debug hooks on.
 *
 * ```sh
 * npx deno task libs --target native --target cpython --quick
 * npx bun run libs --target libc:libjemalloc.so.2 --lib openssl --format json
 * ```
 * Options: `--target T` (repeatable; default native, and cpython when a shared libpython is found),
 * `--lib L` (repeatable; default all), `--quick` (CI-sized workloads), `--format table|json|markdown`,
 * `--plant leak|foreign` (zlib with a planted bug: proves the checks can fail), `--timeout S` (per run),
 * `--faults N` (fault sweep per library with the one engine, debug/faults, forking at each point of one
 * driver process: at most N points each, `--jobs J` children at once, default 2), `--fail-at K`
 * (reproducer: fail only allocation point K of each run, in a fresh process, with the sweep's workload),
 * `--sweep-workload tiny|quick` (the workload of sweeps and --fail-at runs; tiny, the default, is small
 * enough to sweep every point of every library).
 * `--check stop|count` (the checking layer directly above the allocator, below the debug hooks: stop at the
 * first broken rule, the default, or count them all), `--no-check` (without it), `--debug-hooks
 * native|cpython|none` (the debug hooks over it: native by default, cpython on the cpython target; each
 * library then runs a second time without them, as the allocator sees the library's own sizes only then:
 * `--no-bare` skips that run).
 * Exit status: 0 when nothing FAILed or ERRORed and every FINDING was expected, 1 otherwise, 2 bad usage.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../../core/usage.ts";
import { findLibpython } from "../../core/python.ts";
import { exitStatus, runLibs } from "./run.ts";
import { type Format, formatRows, FORMATS } from "./report.ts";
import { normalizeTargetFlags } from "../../targets/flags.ts";

async function main(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: normalizeTargetFlags(argv, "libs"),
      options: {
        target: { type: "string", multiple: true },
        lib: { type: "string", multiple: true },
        quick: { type: "boolean" },
        format: { type: "string", default: "table" },
        plant: { type: "string" },
        timeout: { type: "string" },
        faults: { type: "string" },
        jobs: { type: "string" },
        "fail-at": { type: "string" },
        "sweep-workload": { type: "string" },
        check: { type: "string" },
        "debug-hooks": { type: "string" },
        "no-bare": { type: "boolean" },
        "no-check": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
  if (v.help) {
    console.log(
      "usage: libs [--target T]... [--lib L]... [--quick] [--format table|json|markdown] [--plant leak|foreign] [--timeout S] [--faults N [--jobs J]] [--fail-at K] [--sweep-workload tiny|quick] [--check stop|count | --no-check] [--debug-hooks native|cpython|none] [--no-bare]",
    );
    return 0;
  }
  if (!(FORMATS as readonly string[]).includes(v.format!)) {
    throw new UsageError(`unknown format '${v.format}': use ${FORMATS.join(", ")}`);
  }
  const timeout = v.timeout === undefined ? undefined : Number(v.timeout);
  if (timeout !== undefined && !(timeout > 0)) {
    throw new UsageError(`--timeout must be seconds > 0, got ${v.timeout}`);
  }
  let targets = v.target ?? [];
  if (!targets.length) {
    targets = ["native"];
    try {
      findLibpython();
      targets.push("cpython");
    } catch { /* no shared libpython: native only */ }
  }
  const faults = v.faults === undefined ? undefined : Number(v.faults);
  if (faults !== undefined && !(Number.isInteger(faults) && faults > 0)) {
    throw new UsageError(`--faults must be a number of points > 0, got ${v.faults}`);
  }
  const num = (name: string, x: string | undefined) => {
    if (x === undefined) return undefined;
    const n = Number(x);
    if (!(Number.isInteger(n) && n > 0)) throw new UsageError(`--${name} must be an integer > 0, got ${x}`);
    return n;
  };
  const sw = v["sweep-workload"];
  if (sw !== undefined && sw !== "quick" && sw !== "tiny") {
    throw new UsageError(`--sweep-workload must be tiny or quick, got ${sw}`);
  }
  if (v.check !== undefined && v.check !== "stop" && v.check !== "count") {
    throw new UsageError(`--check must be stop or count, got ${v.check}`);
  }
  if (v.check !== undefined && v["no-check"]) {
    throw new UsageError("--check and --no-check exclude each other");
  }
  const hooks = v["debug-hooks"];
  if (hooks !== undefined && !["native", "cpython", "none"].includes(hooks)) {
    throw new UsageError(`--debug-hooks must be native, cpython or none, got ${hooks}`);
  }
  let lastProgress = 0;
  const rows = await runLibs({
    debugHooks: hooks as "native" | "cpython" | "none" | undefined,
    bare: !v["no-bare"],
    check: v["no-check"] ? false : (v.check as "stop" | "count" | undefined) ?? "stop",
    sweepWorkload: sw as "quick" | "tiny" | undefined,
    faults,
    jobs: num("jobs", v.jobs),
    failAt: num("fail-at", v["fail-at"]),
    targets,
    libraries: v.lib,
    quick: v.quick,
    plant: v.plant,
    timeoutMs: timeout ? timeout * 1000 : undefined,
    progress: (r) =>
      console.error(
        `libs: ${r.target} ${r.scenario}${
          r.debugHooks ? ` (debug hooks: ${r.debugHooks})` : ""
        }: ${r.status} (${r.seconds.toFixed(1)} s)`,
      ),
    // a long sweep says how far it got, at most every 10 s (TODO: core/progress.ts when it lands)
    sweepProgress: (t, lib, done, total) => {
      const now = Date.now();
      if (done < total && now - lastProgress < 10_000) return;
      lastProgress = now;
      console.error(`libs: ${t} ${lib}: fault sweep ${done}/${total} points`);
    },
  });
  console.log(formatRows(rows, v.format as Format));
  return exitStatus(rows);
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    if (e instanceof UsageError) {
      console.error(`libs: ${e.message}`);
      process.exit(2);
    }
    console.error(`libs: ${(e as Error).message.split("\n").slice(0, 6).join("\n")}`);
    process.exit(1);
  });
}
