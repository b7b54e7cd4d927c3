/**
 * `allocspec conformance`: run the PEP 445 conformance suite against one or more targets.
 *
 * ```
 * npx deno task conformance [--target T]... [--profile P] [--filter RE] [--domain D] [--variant V] [--format F] [--abi A] [--jobs N] [--list]
 * npx bun run conformance ...
 * ```
 * - `--target`: ref | native[:variant] | cpython[:libpython.so] | vtable:./lib.so | libc:lib.so[:prefix] |
 *   mutant:<name> (repeatable; default ref, native and cpython when a libpython is found)
 * - `--profile`: cpython | pep445-2013 (default both)
 * - `--filter`: a regular expression over case ids (`zero_size/`, `debug/.*pad`)
 * - `--domain`: RAW | MEM | OBJ | - (cases without a domain); `--variant`: one variant of the case;
 *   with `--filter '^case$'` and `--profile` they select exactly one run (the rerun command of a failure)
 * - `--format`: table (default) | json | tap | junit | markdown | html
 * - `--abi`: shipped (PyMemAllocatorEx, default) | 2013 (PyMemAllocators) for vtable targets
 * - `--jobs`: worker processes in parallel (default 2); `--timeout`: seconds per case on an idle machine
 *   (default 20), scaled by the load (budget.ts)
 * - `--list`: print the cases and exit
 *
 * Exit: 0 no FAIL/ERROR, 1 otherwise, 2 bad usage (one line on stderr, nothing run).
 *
 * @example
 * ```sh
 * npx deno task conformance --target ref --filter zero_size --format json
 * ```
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../core/usage.ts";
import type { Result } from "./execute.ts";
import { loadCases } from "./cases/mod.ts";
import { createReporter, type Format, FORMATS } from "./report/mod.ts";
import { terminateAll } from "./pool.ts";
import { prepareSuite, runSuite } from "./suite.ts";
import { ALL_DOMAINS, type DomainName } from "./case.ts";
import { label, verdictText } from "./report/summary.ts";
import { rerunContext } from "./report/rerun.ts";
import { createProgress } from "../core/progress.ts";
import { loadFactor } from "./budget.ts";
import { hangupIgnored, watchCancel } from "../core/cancel.ts";
import { type Profile, PROFILES } from "../ref/types.ts";
// --- allocspec package (report branch): full --help text, and relative paths resolved where the user typed
import { CONFORMANCE_HELP } from "./help.ts";
import { enterUserCwd } from "../core/cwd.ts";
import { normalizeTargetFlags } from "../targets/flags.ts";
// ---

const USAGE =
  "usage: conformance [--target T]... [--profile cpython|pep445-2013] [--filter RE] [--domain RAW|MEM|OBJ|-] [--variant V] [--format table|json|tap|junit|markdown|html] [--abi shipped|2013] [--jobs N] [--timeout S] [--list] [--help]";

function usage(msg: string): never {
  process.stderr.write(`conformance: ${msg}\n`);
  process.exit(2);
}

/** Options that take a value: `--timeout -1` is read as the value -1, not as an unknown option. */
const VALUE_OPTIONS = [
  "--target",
  "--profile",
  "--filter",
  "--domain",
  "--variant",
  "--format",
  "--abi",
  "--jobs",
  "--timeout",
];

/** Joins `--opt VALUE` into `--opt=VALUE` when VALUE starts with "-" (parseArgs would call it ambiguous). */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (VALUE_OPTIONS.includes(argv[i]) && i + 1 < argv.length && argv[i + 1].startsWith("-")) {
      out.push(`${argv[i]}=${argv[++i]}`);
    } else out.push(argv[i]);
  }
  return out;
}

/** The --timeout range, seconds (the upper bound keeps every timer within setTimeout's 2^31-1 ms). */
export const TIMEOUT_RANGE = [0.1, 86400] as const;

/**
 * Hints for symptoms with a known cause outside the target: a `vtable:` target read with `--abi 2013`
 * whose every realloc of a block returns NULL most likely exports the shipped PyMemAllocatorEx, whose
 * calloc field is then called as realloc.
 */
export function layoutHints(results: readonly Result[]): string[] {
  const out: string[] = [];
  for (const t of new Set(results.map((r) => r.target))) {
    const rs = results.filter((r) => r.target === t);
    if (!t.startsWith("vtable:")) continue;
    const nulls = rs.filter((r) =>
      /^realloc\(p, \d+\)(?: retried after the failure)? returned NULL/.test(r.message)
    );
    const grown = rs.filter((r) =>
      r.features.includes("realloc") && r.status === "PASS" && !/null/.test(r.case)
    );
    if (nulls.length >= 3 && grown.length === 0) {
      out.push(
        `hint: every realloc of a block on ${t} returned NULL (${nulls.length} runs). With --abi 2013 the symbol is read as the 2013 PyMemAllocators {ctx, malloc, realloc, free}; if the library exports the shipped PyMemAllocatorEx {ctx, malloc, calloc, realloc, free}, its calloc is being called as realloc: run without --abi 2013.`,
      );
    }
  }
  return out;
}

/**
 * SIGINT/SIGTERM/SIGHUP: stop every worker and child (their process groups), reap them all, exit
 * 130/143/129; the same as SIGTERM when the run is cancelled by its launcher's or script runner's going away
 * (core/cancel.ts). Under `nohup` (SIGHUP ignored at start) SIGHUP stays ignored.
 */
function onSignals(): void {
  let stopping = false;
  const stop = (why: string, sig: NodeJS.Signals, code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`conformance: ${why}: stopping the workers\n`);
    terminateAll(sig).finally(() => process.exit(code));
  };
  const nohup = hangupIgnored();
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    if (sig === "SIGHUP" && nohup) continue;
    process.on(sig, () => stop(sig, sig, code));
  }
  watchCancel((why) => stop(`cancelled (${why})`, "SIGTERM", 143));
}

async function main(argv: string[]): Promise<number> {
  enterUserCwd(); // `deno task` / `bun run` start in the repository root: go back to the user's directory
  let values;
  try {
    ({ values } = parseArgs({
      args: joinDashValues(normalizeTargetFlags(argv, "conformance")),
      allowPositionals: false,
      options: {
        target: { type: "string", multiple: true },
        profile: { type: "string" },
        filter: { type: "string" },
        domain: { type: "string" },
        variant: { type: "string" },
        format: { type: "string", default: "table" },
        abi: { type: "string", default: "shipped" },
        jobs: { type: "string", default: "2" },
        timeout: { type: "string", default: "20" },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    usage(`${e instanceof Error ? e.message.split("\n")[0] : String(e)} (${USAGE})`);
  }
  if (values.help) {
    console.log(CONFORMANCE_HELP);
    return 0;
  }
  const format = values.format as Format;
  if (!FORMATS.includes(format)) usage(`unknown format '${values.format}': use ${FORMATS.join(", ")}`);
  if (values.profile !== undefined && !PROFILES.includes(values.profile as Profile)) {
    usage(`unknown profile '${values.profile}': use ${PROFILES.join(" or ")}`);
  }
  const profiles: Profile[] = values.profile ? [values.profile as Profile] : ["cpython", "pep445-2013"];
  if (values.abi !== "shipped" && values.abi !== "2013") {
    usage(`unknown abi '${values.abi}': use shipped or 2013`);
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
    usage(`--jobs must be an integer from 1 to 64, got '${values.jobs}'`);
  }
  const timeout = Number(values.timeout);
  if (!(timeout >= TIMEOUT_RANGE[0] && timeout <= TIMEOUT_RANGE[1])) {
    usage(
      `--timeout must be a number of seconds from ${TIMEOUT_RANGE[0]} to ${
        TIMEOUT_RANGE[1]
      }, got '${values.timeout}'`,
    );
  }
  const domains: readonly string[] = [...ALL_DOMAINS, "-"];
  if (values.domain !== undefined && !domains.includes(values.domain)) {
    usage(`unknown domain '${values.domain}': use ${domains.join(", ")} (- for cases without a domain)`);
  }
  let filter: RegExp | undefined;
  if (values.filter !== undefined) {
    try {
      filter = new RegExp(values.filter);
    } catch (e) {
      usage(`bad --filter regular expression '${values.filter}': ${e instanceof Error ? e.message : e}`);
    }
  }
  if (values.list) {
    for (const c of await loadCases(filter)) {
      console.log(
        `${c.id}  [${c.features.join(",")}]  domains=${c.domains.join(",") || "-"}  profiles=${
          c.profiles.join(",")
        }${c.needs.length ? `  needs=${c.needs.join(",")}` : ""}${c.informational ? "  informational" : ""}${
          c.death ? "  death" : ""
        }`,
      );
    }
    return 0;
  }
  let prep;
  try {
    prep = await prepareSuite({
      targets: values.target,
      abi: values.abi as "shipped" | "2013",
      profiles,
      filter,
      domain: values.domain as DomainName | "-" | undefined,
      variant: values.variant,
      // loading a library is start-up: its budget scales with the load as a case's does (budget.ts)
      probeTimeoutMs: Math.round(Math.max(timeout * 1000, 5000) * loadFactor()),
    });
  } catch (e) {
    if (e instanceof UsageError) usage(e.message);
    throw e;
  }
  if (prep.items.length === 0) {
    const sel = [["--filter", values.filter], ["--domain", values.domain], ["--variant", values.variant]]
      .filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${v}`).join(" ");
    usage(`no run matches ${sel}`);
  }
  const write = (s: string) => process.stdout.write(s + "\n");
  for (const n of prep.notes) process.stderr.write(n + "\n");
  const rerun = rerunContext({ abi: values.abi as "shipped" | "2013", timeoutS: timeout });
  const reporter = createReporter(format, write, { rerun });
  // progress on stderr (core/progress.ts): in place on a terminal, a line per 10 s in a log; each FAIL
  // and ERROR as it happens stays above it
  const progress = createProgress({ label: "conformance", unit: "runs", total: prep.items.length });
  const { results, summary } = await runSuite(prep, {
    jobs,
    timeoutMs: timeout * 1000,
    onResult: (r, d, t) => {
      if (r.status === "FAIL" || r.status === "ERROR") {
        progress.log(`${r.informational ? "INFO " : ""}${r.status} ${label(r)}: ${r.message}`);
      }
      progress.setTotal(t);
      progress.update(d, label(r));
      reporter.onResult(r, d, t);
    },
    progress: (line) => progress.log(line),
  });
  progress.done(verdictText(results));
  reporter.finish(results, summary);
  if (values.abi === "2013") { for (const h of layoutHints(results)) process.stderr.write(h + "\n"); }
  return summary.exit;
}

if (import.meta.main) {
  onSignals();
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    process.stderr.write(
      `conformance: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`,
    );
    process.exit(3);
  });
}
