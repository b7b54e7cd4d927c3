/**
 * allocspec benchmarks: `npx bun bench` / `npx deno task bench` [--quick] [--filter RE].
 *
 * Runs every scenario of bench/scenarios/ (one per file), prints mitata's table while it runs, then a
 * markdown summary, and writes bench/results/latest.{json,md,svg} plus a dated copy of the JSON.
 * Scenarios marked crossRuntime run in a fresh child process of each runtime, one after the other
 * (this one's, then the other's unless --no-cross), so Deno's and Bun's figures land in one report and
 * come from processes in the same state. One bench run at a time measures (bench_lock.ts).
 *
 * Exit code: 0 when every selected scenario ran, 1 when one failed (its error is in the report),
 * 2 on bad usage.
 *
 * @module
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runContext } from "./context.ts";
import { buildReport, reportJson } from "./results.ts";
import { currentRuntime, otherRuntime, runtimeCommand } from "../core/runtime.ts";
import { runScript } from "../core/child.ts";
import type { BenchStats } from "./harness.ts";
import type { RuntimeName, Scenario, ScenarioContext, ScenarioResult, TraceInput } from "./scenario.ts";
import { SCENARIOS } from "./scenarios/mod.ts";
import { markdownSummary } from "./summary.ts";
import { chartBars, ratioChart } from "./svg.ts";
import { benchHtml } from "./html.ts";
import { enterUserCwd } from "../core/cwd.ts";
import { captureWorkloadTrace, syntheticTrace } from "./traces.ts";
import { findPython } from "../core/python.ts";
import { loadNative } from "./native_glue.ts";
import { acquireBenchLock, type BenchLock } from "./bench_lock.ts";
import { normalizeTargetFlags } from "../targets/flags.ts";
import { benchForm } from "../targets/kinds.ts";

const USAGE = `usage: allocspec bench [--quick] [--filter RE] [--target SPEC]... [--no-cross] [--out DIR]
       (in the repository: npx bun bench [options] | npx deno task bench [options])
  --quick      short run: every scenario runs and the output parses; numbers are not a measurement
  --filter RE  run only scenarios whose name matches RE (${SCENARIOS.map((s) => s.name).join(", ")})
  --target SPEC  (repeatable) what the pymalloc and programs scenarios compare with CPython's allocators
               instead of their defaults (native and glibc, jemalloc, mimalloc, tcmalloc as libc: targets):
               any target the registry can replay on (native, cpython[:LIB], libc:LIB[:PREFIX],
               vtable:LIB[:SYMBOL]); --allocator is an alias
  --no-cross   run cross-runtime scenarios in this runtime only (still in a fresh child)
  --out DIR    where to write latest.json/.md/.svg/.html (default bench/results, or the cache folder
               \$ALLOCSPEC_CACHE_DIR/bench/results when installed as a package)
  --html FILE  also write the HTML page to FILE
  -h, --help   this text
Needs a C compiler, python3 with a shared libpython (ALLOCSPEC_PYTHON picks another), and for the allocator
comparison libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4 (a missing one is reported as not measured).
Output: mitata's tables and a markdown summary on stdout; latest.html is one self-contained page.
Exit status: 0 every selected scenario ran, 1 a scenario failed (its error is in the report), 2 bad usage.`;

/** Workload trace scale for full runs (scale 1 is about 1M operations). */
export const WORKLOAD_TRACE_SCALE = 2;

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

function usage(msg: string): never {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

/** Build the context shared by the scenarios of one run. */
export function makeContext(
  quick: boolean,
  print: (s: string) => void,
  targets: readonly string[] = [],
): ScenarioContext {
  let python: string | undefined;
  let workload: Promise<TraceInput> | undefined;
  const ctx: ScenarioContext = {
    quick,
    runtime: currentRuntime(),
    root: ROOT,
    print,
    targets,
    python: () => (python ??= findPython()),
    syntheticTrace: (ops) => syntheticTrace(ROOT, ops),
    native: () => loadNative(ROOT),
    workloadTrace: () => (workload ??= (async () => {
      const n = await ctx.native();
      return captureWorkloadTrace(ROOT, ctx.python(), n.libPath, quick ? 1 : WORKLOAD_TRACE_SCALE);
    })()),
  };
  return ctx;
}

/** Run one scenario; errors become a one-line `error` on its result. */
export async function runScenario(s: Scenario, ctx: ScenarioContext): Promise<ScenarioResult> {
  const params = s.params(ctx.quick);
  ctx.print(`\n=== ${s.name} [${ctx.runtime}] — ${s.description}`);
  ctx.print(`    params: ${JSON.stringify(params)}`);
  const t0 = performance.now();
  const loadStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const load = () => ({ start: loadStart, end: loadavg().map((x) => Math.round(x * 100) / 100) });
  const mitata: BenchStats[] = [];
  ctx.recordBench = (st) => mitata.push(st);
  try {
    const out = await s.run(ctx, params);
    return {
      name: s.name,
      description: s.description,
      runtime: ctx.runtime,
      params,
      seconds: (performance.now() - t0) / 1e3,
      loadavg: load(),
      mitata,
      ...out,
    };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    ctx.print(`    ERROR: ${msg}`);
    return {
      name: s.name,
      description: s.description,
      runtime: ctx.runtime,
      params,
      seconds: (performance.now() - t0) / 1e3,
      loadavg: load(),
      rows: [],
      figures: {},
      notes: [],
      mitata,
      error: msg,
    };
  }
}

/**
 * Run the scenarios `names` in a fresh child process of `other` (`--child`): the cross-runtime
 * scenarios run this way in BOTH runtimes, so Bun's and Deno's figures come from processes in the same
 * state (fresh, nothing measured before in them), one after the other, never at the same time.
 */
function runInRuntime(
  other: RuntimeName,
  names: string[],
  quick: boolean,
  print: (s: string) => void,
  targets: readonly string[],
): ScenarioResult[] {
  const out = join(tmpdir(), `allocspec-bench-${process.pid}-${other}.json`);
  const args = [
    "--child",
    "--json-out",
    out,
    "--filter",
    `^(${names.join("|")})$`,
    ...(quick ? ["--quick"] : []),
    ...targets.flatMap((t) => ["--target", t]),
  ];
  const script = join(ROOT, "bench", "main.ts");
  const { cmd, args: argv } = runtimeCommand(script, args, { runtime: other, exposeGc: true });
  print(`\n--- running ${names.join(", ")} under ${other}: ${cmd} ${argv.join(" ")}`);
  const r = runScript(script, args, {
    runtime: other,
    exposeGc: true,
    inherit: true,
    cwd: ROOT,
    timeoutMs: 1_800_000,
    output: "inherit",
  });
  try {
    const got = JSON.parse(readFileSync(out, "utf8")) as ScenarioResult[];
    rmSync(out, { force: true });
    return got;
  } catch {
    const why = `the ${other} child exited with ${r.status ?? r.signal} and wrote no results`;
    return names.map((name) => ({
      name,
      description: "",
      runtime: other,
      params: {},
      seconds: 0,
      rows: [],
      figures: {},
      notes: [],
      mitata: [],
      error: why,
    }));
  }
}

async function main(): Promise<number> {
  enterUserCwd(); // relative --out means where the user typed the command (not the repository root)
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeTargetFlags(process.argv.slice(2), "bench"),
      options: {
        quick: { type: "boolean", default: false },
        filter: { type: "string" },
        target: { type: "string", multiple: true, default: [] },
        "no-cross": { type: "boolean", default: false },
        out: { type: "string" },
        html: { type: "string" },
        child: { type: "boolean", default: false },
        "json-out": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
    });
  } catch (e) {
    usage((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  let filter: RegExp | null = null;
  if (v.filter !== undefined) {
    try {
      filter = new RegExp(v.filter);
    } catch (e) {
      usage(
        `--filter ${JSON.stringify(v.filter)} is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  }
  for (const t of v.target!) {
    try {
      benchForm(t); // the one registry (targets/kinds.ts): bad input is one line, exit 2
    } catch (e) {
      usage(`--target ${t}: ${(e as Error).message}`);
    }
  }
  const selected = SCENARIOS.filter((s) => !filter || filter.test(s.name));
  if (selected.length === 0) usage(`--filter ${v.filter} matches no scenario`);
  const quick = v.quick!;
  // progress (scenario headers, mitata's tables) on stderr; the summary, the result, on stdout
  const print = (s: string) => console.error(s);
  // No scenario is measured while another bench process runs (bench_lock.ts); children inherit the lock.
  const lock = await acquireBenchLock({ print });
  try {
    return await measureAll(v, selected, quick, print, lock);
  } finally {
    lock.release();
  }
}

/** The parsed options measureAll reads. */
interface RunOptions {
  filter?: string;
  target?: string[];
  "no-cross"?: boolean;
  out?: string;
  child?: boolean;
  "json-out"?: string;
  html?: string;
}

async function measureAll(
  v: RunOptions,
  selected: Scenario[],
  quick: boolean,
  print: (s: string) => void,
  lock: BenchLock,
): Promise<number> {
  const date = new Date().toISOString();
  const loadStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const ctx = makeContext(quick, print, v.target ?? []);

  const results: ScenarioResult[] = [];
  if (v.child) {
    for (const s of selected) results.push(await runScenario(s, ctx));
    if (v["json-out"]) writeFileSync(v["json-out"], JSON.stringify(results));
    return 0;
  }
  for (const s of selected.filter((s) => !s.crossRuntime)) results.push(await runScenario(s, ctx));
  const cross = selected.filter((s) => s.crossRuntime).map((s) => s.name);
  if (cross.length) {
    results.push(...runInRuntime(ctx.runtime, cross, quick, print, ctx.targets));
    if (!v["no-cross"]) {
      results.push(...runInRuntime(otherRuntime(ctx.runtime), cross, quick, print, ctx.targets));
    }
  }

  const runner = ctx.runtime === "bun" ? "npx bun bench" : "npx deno task bench";
  const command = [runner, ...process.argv.slice(2)].join(" ");
  let python = "python3";
  try {
    python = ctx.python();
  } catch { /* recorded as empty */ }
  const report = buildReport({
    date,
    command,
    quick,
    filter: v.filter ?? null,
    context: {
      ...runContext(ROOT, python),
      loadavg_start: loadStart,
      loadavg_end: loadavg().map((x) => Math.round(x * 100) / 100),
      bench_lock: { path: lock.path, waited_s: Math.round(lock.waitedMs / 100) / 10 },
    },
    scenarios: results,
  });
  // installed package (ALLOCSPEC_CACHE_DIR, cli/allocspec.cjs): never write into the install folder
  const cache = process.env.ALLOCSPEC_CACHE_DIR;
  const dir = v.out
    ? resolve(v.out)
    : cache
    ? join(cache, "bench", "results")
    : join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const json = reportJson(report);
  writeFileSync(join(dir, "latest.json"), json);
  writeFileSync(join(dir, `${date.replace(/[:.]/g, "-")}${quick ? "-quick" : ""}.json`), json);
  const md = markdownSummary(report);
  writeFileSync(join(dir, "latest.md"), md);
  writeFileSync(
    join(dir, "latest.svg"),
    ratioChart(chartBars(report), `allocspec bench ${date.slice(0, 10)}${quick ? " (quick)" : ""}`),
  );
  const html = benchHtml(report); // one self-contained page (bench/html.ts)
  writeFileSync(join(dir, "latest.html"), html);
  if (v.html) writeFileSync(resolve(v.html), html);
  console.log("\n" + md);
  print(
    `wrote ${join(dir, "latest.json")}, latest.md, latest.svg, latest.html${
      v.html ? ` and ${resolve(v.html)}` : ""
    }`,
  );
  return results.some((r) => r.error) ? 1 : 0;
}

if (import.meta.main) {
  main().then((code) => process.exit(code), (e) => {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
