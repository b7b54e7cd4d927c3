/**
 * `npx deno task faults` (Bun: `bun run faults`): fault injection on any Python program, on any allocator
 * (PEP 445 rationale: "force allocation to fail to test handling of MemoryError").
 *
 * ```
 * faults [--target T] [--debug-hooks[=native|cpython|none]] [--python P] [--domain raw,mem,obj]
 *        [--size-min N] [--size-max N] [--in-library L] [--in-module M] [--mode transient|persistent]
 *        [--max-points N] [--jobs N] [--timeout S] [--shard K/N] [--thorough] [--no-confirm]
 *        [--format table|json|markdown] [--output FILE] [--fail-at N] -- <python args>
 * faults merge [--format F] [--output FILE] shard1.json shard2.json ...
 * ```
 * Exit status: 0 no finding, 1 a finding (confirmed by a fresh rerun, unless --no-confirm), 2 usage.
 *
 * @example
 * ```sh
 * npx deno task faults --in-library oomfix -- debug/fixtures/oom_driver.py buggy
 * npx deno task faults --fail-at 23 --domain raw,mem,obj --in-library oomfix -- debug/fixtures/oom_driver.py buggy
 * ```
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../../core/usage.ts";
import { launchSpec } from "../../targets/launcher.ts";
import { normalizeTargetFlags, parseDebugHooks } from "../../targets/flags.ts";
import { buildLayer } from "../layers.ts";
import { parseShard } from "./points.ts";
import { countedFindings, type FaultsReport, formatReport, mergeReports } from "./report.ts";
import { failAt, sweep, type SweepOptions } from "./sweep.ts";
import { progressBar } from "./progress.ts";

const USAGE =
  "usage: faults [options] -- <python args>  |  faults merge [--format F] [--output FILE] FILE...";
const FORMATS = ["table", "json", "markdown"];
const DOMAINS = ["raw", "mem", "obj"];

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || +v < min) throw new UsageError(`--${name} '${v}': use an integer >= ${min}`);
  return +v;
}

/** Shell-quotes one argument for a copy-pasteable command line. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function emit(r: FaultsReport, format: string, output: string | undefined): void {
  const text = formatReport(r, format as "table");
  if (output) {
    writeFileSync(output, text);
    process.stderr.write(`faults: report written to ${output} (${r.findings.length} finding sites)\n`);
  } else process.stdout.write(text);
}

/** Runs the command; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // one spelling: --target (--allocator: alias), a bare --debug-hooks = libpython's PyMem_SetupDebugHooks
  argv = normalizeTargetFlags(argv, "faults");
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: "string" },
      "debug-hooks": { type: "string" },
      python: { type: "string" },
      domain: { type: "string" },
      "size-min": { type: "string" },
      "size-max": { type: "string" },
      "in-library": { type: "string" },
      "in-module": { type: "string" },
      mode: { type: "string", default: "transient" },
      "max-points": { type: "string" },
      jobs: { type: "string", default: "2" },
      timeout: { type: "string" },
      shard: { type: "string" },
      format: { type: "string", default: "table" },
      output: { type: "string" },
      "fail-at": { type: "string" },
      thorough: { type: "boolean", default: false },
      "no-confirm": { type: "boolean", default: false },
      isolation: { type: "string", default: "on" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (!FORMATS.includes(v.format!)) throw new UsageError(`--format '${v.format}': use ${FORMATS.join(", ")}`);
  const dashdash = argv.indexOf("--");
  if (positionals[0] === "merge" && (dashdash < 0 || argv.indexOf("merge") < dashdash)) {
    const files = positionals.slice(1);
    if (!files.length) throw new UsageError("faults merge: give the shard reports (JSON) to merge");
    const reports = files.map((f) => {
      try {
        return JSON.parse(readFileSync(f, "utf8")) as FaultsReport;
      } catch (e) {
        throw new UsageError(`faults merge: cannot read ${f} as a JSON report (${(e as Error).message})`);
      }
    });
    const r = mergeReports(reports);
    emit(r, v.format!, v.output);
    return countedFindings(r).length ? 1 : 0;
  }
  if (dashdash < 0 || positionals.length === 0) throw new UsageError(`no Python program: ${USAGE}`);
  const py = argv.slice(dashdash + 1);
  const domains = (v.domain ?? DOMAINS.join(",")).split(",");
  for (const d of domains) {
    if (!DOMAINS.includes(d)) throw new UsageError(`--domain '${d}': use raw, mem, obj`);
  }
  if (!["transient", "persistent"].includes(v.mode!)) {
    throw new UsageError(`--mode '${v.mode}': use transient or persistent`);
  }
  if (!["on", "off"].includes(v.isolation!)) {
    throw new UsageError(
      `--isolation '${v.isolation}': use on or off (off only to compare with the old behaviour)`,
    );
  }
  const hooks = parseDebugHooks(v["debug-hooks"]);
  const launch = launchSpec({
    target: v.target,
    debugHooks: hooks,
    python: v.python,
    layers: [buildLayer("as_faults")],
  });
  // every option that changes the numbering of points goes into the reproducer
  const fixed: string[] = [];
  if (v.target) fixed.push("--target", v.target);
  if (hooks) fixed.push(`--debug-hooks=${hooks}`);
  if (v.python) fixed.push("--python", v.python);
  if (v["size-min"]) fixed.push("--size-min", v["size-min"]);
  if (v["size-max"]) fixed.push("--size-max", v["size-max"]);
  if (v["in-library"]) fixed.push("--in-library", v["in-library"]);
  if (v["in-module"]) fixed.push("--in-module", v["in-module"]);
  if (v.mode === "persistent") fixed.push("--mode", "persistent");
  if (v.timeout) fixed.push("--timeout", v.timeout);
  if (v.thorough) fixed.push("--thorough");
  const opts: SweepOptions = {
    launch,
    argv: py,
    domains,
    sizeMin: int("size-min", v["size-min"], 0),
    sizeMax: int("size-max", v["size-max"], 1),
    inLibrary: v["in-library"],
    inModule: v["in-module"],
    persistent: v.mode === "persistent",
    thorough: v.thorough,
    isolation: v.isolation !== "off",
    confirm: !v["no-confirm"],
    maxPoints: int("max-points", v["max-points"], 1),
    jobs: int("jobs", v.jobs, 1),
    timeoutS: int("timeout", v.timeout, 1),
    shard: v.shard ? parseShard(v.shard) : undefined,
    reproducer: (n) =>
      ["npx deno task faults", "--fail-at", String(n), "--domain", domains.join(","), ...fixed, "--", ...py]
        .map((a, i) => (i === 0 ? a : shellQuote(a))).join(" "),
  };
  const options: FaultsReport["options"] = {
    domain: domains.join(","),
    mode: v.mode!,
    allocator: launch.allocator,
  };
  for (const k of ["size-min", "size-max", "in-library", "in-module", "debug-hooks"] as const) {
    if (v[k]) options[k] = v[k]!;
  }
  if (v.thorough) options.thorough = true;
  if (v["fail-at"] !== undefined) {
    const n = int("fail-at", v["fail-at"], 1)!;
    const one = await failAt(opts, n, opts.timeoutS ?? 60);
    process.stdout.write(one.stdout);
    process.stderr.write(one.stderr);
    one.report.options = options;
    emit(one.report, v.format!, v.output);
    return one.report.findings.length ? 1 : 0;
  }
  const bar = progressBar(process.stderr);
  const r = await sweep({ ...opts, onProgress: bar.update });
  bar.done();
  r.options = options;
  emit(r, v.format!, v.output);
  return countedFindings(r).length ? 1 : 0;
}

if ((import.meta as { main?: boolean }).main) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (e) => {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`faults: ${(e as Error).message}`);
    process.exit(usage ? 2 : 1);
  });
}
