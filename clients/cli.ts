/**
 * `deno task clients` / `bun run clients`: CPython's own regression tests as a client of each allocator,
 * against a BASELINE (CPython's own allocators) measured in the same run.
 *
 *     npx deno task clients --target native --target libc:libc.so.6 [--tests default|ci|all|test_x,...]
 *        [--no-check] [--check-mode stop|count] [--debug-hooks[=cpython|native|none]] [--jobs 2]
 *        [--format table|json|markdown|junit] [--python PATH]
 *
 * Per allocator: regrtest `-m test -jN` through the launcher (targets/launcher.ts) with the checking
 * layer (debug/check/) directly above the allocator, from start-up on (default; `--no-check` turns it
 * off): every allocator call is checked against the conformance rules and a broken one is named by its
 * case id, in every process of the run. After regrtest, the `raw_threads` phase (raw_threads.py) runs
 * CPython's own C code that calls the RAW domain without the GIL (liblzma, zlib, thread exit,
 * PyGILState_Ensure from C threads) in several threads at once, so an allocator that is not thread-safe
 * meets itself; it is reported as a test module. With the layer on, the debug hooks default to none (they
 * would turn zero-size requests and realloc sizes into others before the allocator sees them;
 * `--debug-hooks=cpython` puts CPython's above the layer); without it, to CPython's. The baseline
 * (CPython's own allocators) runs the same way. Report: tests run/passed/failed/skipped, NEW failures
 * against the baseline vs shared ones, expected divergences with reasons, crashes (a start-up crash is
 * one finding), rules broken with the call, C site, Python line, rerun and conformance commands,
 * debug-hook violations with CPython's text, wall time and peak RSS as ratios to the baseline. Printable
 * text only.
 *
 * Exit: 0 when no allocator has a new failure, crash or violation (and the baseline broke no rule); 1
 * otherwise; 2 bad usage (one line).
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const status = main(["--target", "native", "--tests", "ci"]);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../core/usage.ts";
import type { Variant } from "../core/cbuild.ts";
import { compareRuns, type Verdict } from "./compare.ts";
import { launchSpec } from "../targets/launcher.ts";
import { normalizeTargetFlags, parseDebugHooks } from "../targets/flags.ts";
import { runRegrtest } from "./regrtest.ts";
import { RAW_THREADS, runRawThreads } from "./raw_threads.ts";
import { checkLayerOptions } from "../debug/check/launch.ts";
import { CLIENT_FORMATS, type ClientFormat, formatReport } from "./report.ts";
import { selectTests } from "./selection.ts";

const USAGE =
  "usage: clients [--target SPEC]... [--tests default|ci|all|NAMES] [--no-check] [--check-mode stop|count] [--debug-hooks[=cpython|native|none]] [--jobs N] [--format table|json|markdown|junit] [--python PATH] [--timeout S] [--variant V]";

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: normalizeTargetFlags(argv, "clients"),
    options: {
      target: { type: "string", multiple: true, default: [] },
      tests: { type: "string", default: "default" },
      "no-check": { type: "boolean", default: false },
      "check-mode": { type: "string", default: "stop" },
      "debug-hooks": { type: "string" },
      jobs: { type: "string", default: "2" },
      format: { type: "string", default: "table" },
      python: { type: "string" },
      timeout: { type: "string", default: "900" },
      variant: { type: "string", default: "release" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const check = !values["no-check"];
  const mode = values["check-mode"]!;
  if (mode !== "stop" && mode !== "count") throw new UsageError(`--check-mode ${mode}: use stop or count`);
  // with the checking layer on, no debug hooks by default: they would change the sizes the allocator sees
  // (zero-size requests, realloc sizes); without it, CPython's: its tests exercise every rule they check
  const debugHooks = parseDebugHooks(values["debug-hooks"], check ? "" : "cpython");
  if (!(CLIENT_FORMATS as readonly string[]).includes(values.format!)) {
    throw new UsageError(`--format ${values.format}: use ${CLIENT_FORMATS.join(", ")}`);
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new UsageError(`--jobs ${values.jobs}: use a positive integer`);
  }
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) throw new UsageError(`--timeout ${values.timeout}: use seconds > 0`);
  const allocators = values.target!.length ? values.target! : ["native"];
  return {
    allocators,
    tests: selectTests(values.tests!),
    check: check ? mode as "stop" | "count" : undefined,
    debugHooks,
    jobs,
    timeout,
    format: values.format as ClientFormat,
    python: values.python,
    variant: values.variant as Variant,
    help: values.help!,
  };
}

/**
 * One line naming the selected test modules this CPython does not have (Debian's python3.11 ships only
 * regrtest itself unless libpython3.11-testsuite is installed, which still lacks test_capi and test_sqlite3),
 * or undefined when all are there.
 */
function missingTests(plain: ReturnType<typeof launchSpec>, tests: string[]): string | undefined {
  const code = "import importlib.util as u, sys\n" +
    "print(' '.join(t for t in sys.argv[1:] if u.find_spec('test.' + t) is None))";
  const r = spawnSync(plain.exe, [...plain.argvPrefix, "-c", code, ...tests], {
    env: plain.env,
    encoding: "utf8",
  });
  if (r.status !== 0) return `cannot run ${plain.libpython}: ${(r.stderr || "").trim().split("\n").pop()}`;
  const gone = r.stdout.trim();
  if (!gone) return undefined;
  return `${plain.libpython} has no ${
    gone.split(" ").join(", ")
  } in its Lib/test: install its test suite (Debian: libpython3.X-testsuite) or choose --tests`;
}

/** Runs the command; returns the exit status. */
export function main(argv: string[]): number {
  let o, specs, baseline;
  try {
    o = parse(argv);
    if (o.help) {
      console.log(USAGE);
      return 0;
    }
    const check = o.check ? checkLayerOptions({ mode: o.check, variant: o.variant }) : undefined;
    const common = { debugHooks: o.debugHooks, python: o.python, variant: o.variant, check };
    baseline = launchSpec({ ...common, target: "cpython" });
    specs = o.allocators.map((a) => launchSpec({ ...common, target: a }));
    // the baseline's converter (junit_to_json.py) runs without hooks
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    if (e instanceof UsageError || (e as Error).name === "TypeError" || /option|argument/i.test(msg)) {
      console.error(`clients: ${msg} (${USAGE})`);
      return 2;
    }
    throw e;
  }
  const plain = launchSpec({ target: "cpython", python: o.python, variant: o.variant });
  const missing = missingTests(plain, o.tests.length ? o.tests : ["test_dict"]);
  if (missing) {
    console.error(`clients: ${missing} (${USAGE})`);
    return 2;
  }
  const runOne = (spec: typeof baseline, label: string) => {
    console.error(`clients: ${label}: ${o.tests.length || "all"} test modules, -j${o.jobs} ...`);
    const r = runRegrtest(spec, o.tests, { jobs: o.jobs, baseline: plain, timeoutS: o.timeout, label });
    // then the RAW domain from several threads at once (raw_threads.py): a pseudo test module
    const t = runRawThreads(spec);
    r.modules[RAW_THREADS] = t.module;
    r.checkViolations.push(...t.checkViolations);
    if (t.crashLine) r.crashLines.push({ module: RAW_THREADS, line: t.crashLine });
    console.error(
      `clients: ${label}: ${r.counts.run} tests, ${r.counts.failed} failed, ${
        (r.wallMs / 1000).toFixed(1)
      } s${r.result ? "" : ` (died: ${r.signal ?? r.exitStatus})`}`,
    );
    return r;
  };
  const started = Date.now();
  const base = runOne(baseline, "cpython");
  const verdicts: Verdict[] = [compareRuns(base, base)];
  specs.forEach((spec, i) => {
    verdicts.push(compareRuns(base, runOne(spec, o.allocators[i]))); // named as the user wrote it
  });
  const ctx = {
    tests: o.tests,
    check: o.check ?? "off",
    debugHooks: o.debugHooks,
    jobs: o.jobs,
    libpython: baseline.libpython,
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    loadavg: os.loadavg(),
    cpus: os.cpus().length,
    runtime: (globalThis as any).Bun
      ? `bun ${(globalThis as any).Bun.version}`
      : `deno ${(globalThis as any).Deno?.version?.deno}`,
  };
  console.log(formatReport(o.format, verdicts, ctx));
  return verdicts.every((v) => (v.baseline ? v.run.checkViolations.length === 0 : v.clean)) ? 0 : 1;
}

if ((import.meta as { main?: boolean }).main) process.exit(main(process.argv.slice(2)));
