/**
 * The client report in the conformance run's formats: `table` (terminal), `json` (one document with the
 * run context), `markdown` (README tables), `junit` (one testsuite per allocator; new failures, crashes
 * and violations are failures, expected divergences are skipped with their reasons).
 *
 * @example
 * ```ts
 * import { formatReport } from "./report.ts";
 * import type { Verdict } from "./compare.ts";
 * declare const verdicts: Verdict[];
 * console.log(formatReport("markdown", verdicts, { tests: ["test_json"], debugHooks: "cpython" }));
 * ```
 * @module
 */
import { xml } from "../conformance/report/junit.ts";
import { printable } from "../debug/check/report.ts";
import type { RuleFinding, Verdict } from "./compare.ts";

/** Output formats. */
export const CLIENT_FORMATS = ["table", "json", "markdown", "junit"] as const;
export type ClientFormat = typeof CLIENT_FORMATS[number];

/** Run context printed with every report. */
export interface ClientContext {
  tests: string[];
  debugHooks: string;
  [key: string]: unknown;
}

const x = (r: number | undefined) => (r === undefined ? "n/a" : `${r.toFixed(2)}x`);
const mb = (kb: number | undefined) => (kb === undefined ? "n/a" : `${(kb / 1024).toFixed(0)} MB`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function row(v: Verdict): string[] {
  const c = v.run.counts;
  return [
    v.baseline ? `${v.allocator} (baseline)` : v.allocator,
    String(c.run),
    String(c.passed),
    String(c.failed),
    String(c.skipped),
    v.baseline ? "-" : String(v.newFailures.length),
    String(v.sharedFailures.length),
    String(v.expected.length),
    String(v.crashes.length),
    // debug-hook texts, plus every rule occurrence: the layer's reports and deaths its crash line names
    String(v.run.violations.length + v.rules.reduce((n, r) => n + r.count, 0)),
    `${secs(v.run.wallMs)} (${x(v.wallRatio)})`,
    `${v.run.cpuS === undefined ? "n/a" : `${v.run.cpuS.toFixed(1)} s`} (${x(v.cpuRatio)})`,
    `${mb(v.run.peakRssKb)} (${x(v.rssRatio)})`,
  ];
}

const HEAD = [
  "allocator",
  "run",
  "passed",
  "failed",
  "skipped",
  "NEW",
  "shared",
  "expected",
  "crashes",
  "violations",
  "wall (ratio)",
  "CPU (ratio)",
  "peak RSS (ratio)",
];

/** The command that reruns the module where a rule broke (or the process's own command line). */
function rerun(v: Verdict, r: RuleFinding): string | undefined {
  const mod = r.first.module;
  if (v.run.repro && /^test_?\w*$/.test(mod)) return `${v.run.repro} -m test ${mod}`;
  if (v.run.repro && mod === "(startup)") return `${v.run.repro} -c pass`; // any start-up does it
  return r.first.reproduce;
}

/** The checking layer's findings: one block per rule broken, its first occurrence in full. */
function ruleLines(v: Verdict, bullet: string): string[] {
  if (!v.rules.length) return [];
  const out = ["rules broken (checking layer; each id is a conformance case):"];
  for (const r of v.rules) {
    const f = r.first;
    out.push(
      `${bullet}${r.rule} [${f.domain}] x${r.count} in ${r.modules.join(", ")}: ${f.message}`.slice(0, 400),
    );
    const field = (k: string, val: string | undefined) => val && out.push(`      ${k}: ${val}`.slice(0, 400));
    field("call", f.call);
    field("C site", f.cSite);
    field("Python", f.python);
    field("reproduce", rerun(v, r));
    field("conformance", f.conformance);
  }
  return out;
}

function details(v: Verdict, bullet: string): string[] {
  const out: string[] = [];
  const list = (title: string, items: { id: string; detail: string; reason?: string }[]) => {
    if (!items.length) return;
    out.push(`${title}:`);
    for (const i of items) {
      out.push(`${bullet}${i.id}: ${i.reason ?? i.detail}`.replace(/\s+/g, " ").slice(0, 300));
    }
  };
  // a crash is listed once, under crashes, even when it also counts as new
  const crashIds = new Set(v.crashes.map((c) => c.id));
  list("NEW failures (the allocator's)", v.baseline ? [] : v.newFailures.filter((f) => !crashIds.has(f.id)));
  list("crashes", v.crashes);
  out.push(...ruleLines(v, bullet));
  for (const viol of v.run.violations) {
    out.push(`debug-hook violation in ${viol.module}:`);
    out.push(...viol.text.split("\n").map((l) => `    ${l}`));
  }
  list("expected divergences", v.expected);
  // one line per test class: "test.test_capi.test_misc.PyMemDebugTests (8 tests)"
  const classes = new Map<string, { n: number; reason?: string }>();
  for (const f of v.notOnAllocator) {
    const cls = f.id.slice(0, f.id.lastIndexOf("."));
    const c = classes.get(cls) ?? { n: 0, reason: f.reason };
    c.n++;
    classes.set(cls, c);
  }
  list(
    "passed, but not on the allocator under test",
    [...classes].map(([id, c]) => ({ id: `${id} (${c.n} tests)`, detail: "", reason: c.reason })),
  );
  list(v.baseline ? "baseline failures" : "failures shared with the baseline", v.sharedFailures);
  return out.map(printable);
}

function table(verdicts: Verdict[], ctx: ClientContext): string {
  const rows = [HEAD, ...verdicts.map(row)];
  const w = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  "));
  const out = [
    `CPython's test suite on each allocator (checking layer: ${ctx.check ?? "off"}; debug hooks: ${
      ctx.debugHooks || "none"
    }; tests: ${ctx.tests.length ? ctx.tests.join(" ") : "all"})`,
    ...lines,
  ];
  for (const v of verdicts) {
    const d = details(v, "  - ");
    if (d.length) out.push("", `${v.allocator}:`, ...d.map((l) => `  ${l}`));
  }
  const bad = verdicts.filter((v) => !v.clean && !v.baseline).map((v) => v.allocator);
  out.push(
    "",
    bad.length
      ? `NEW failures on: ${bad.join(", ")}`
      : `no new failures against the baseline${
        verdicts.some((v) => v.run.repro) ? ", 0 rule violations" : ""
      }`,
  );
  return out.join("\n");
}

function markdown(verdicts: Verdict[], ctx: ClientContext): string {
  const out = [
    `Checking layer: ${ctx.check ?? "off"}; debug hooks: ${ctx.debugHooks || "none"}; tests: ${
      ctx.tests.length ? ctx.tests.join(" ") : "all"
    }`,
    "",
    `| ${HEAD.join(" | ")} |`,
    `| ${HEAD.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...verdicts.map((v) => `| ${row(v).join(" | ")} |`),
  ];
  for (const v of verdicts) {
    const d = details(v, "- ");
    if (d.length) {
      out.push(
        "",
        `**${v.allocator}**`,
        "",
        ...d.map((l) => (l.startsWith("- ") || l.startsWith("    ") ? l : `${l}`)),
      );
    }
  }
  return out.join("\n");
}

function junit(verdicts: Verdict[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"];
  for (const v of verdicts) {
    const cases: string[] = [];
    const tc = (name: string, body = "") =>
      cases.push(`    <testcase classname="${xml(v.allocator)}" name="${xml(name)}">${body}</testcase>`);
    for (const f of v.baseline ? [] : v.newFailures) {
      tc(f.id, `<failure message="${xml(f.detail.slice(0, 500))}"/>`);
    }
    for (const viol of v.run.violations) {
      tc(
        `violation in ${viol.module}`,
        `<failure message="debug-hook violation">${xml(viol.text)}</failure>`,
      );
    }
    for (const r of v.rules) {
      tc(
        `rule ${r.rule}`,
        `<failure message="${xml(`${r.first.domain}: ${r.first.message}`.slice(0, 500))}">${
          xml(ruleLines({ ...v, rules: [r] }, "- ").join("\n"))
        }</failure>`,
      );
    }
    for (const f of v.expected) tc(f.id, `<skipped message="${xml(f.reason ?? "")}"/>`);
    tc("regrtest", v.run.result === undefined ? `<error message="died before its summary"/>` : "");
    const failures = cases.filter((c) => c.includes("<failure")).length;
    out.push(
      `  <testsuite name="${xml(v.allocator)}" tests="${cases.length}" failures="${failures}" time="${
        (v.run.wallMs / 1000).toFixed(1)
      }">`,
      ...cases,
      "  </testsuite>",
    );
  }
  out.push("</testsuites>");
  return out.join("\n");
}

/** Formats the verdicts (baseline first). */
export function formatReport(format: ClientFormat, verdicts: Verdict[], ctx: ClientContext): string {
  if (format === "json") {
    return JSON.stringify(
      {
        context: ctx,
        allocators: verdicts.map((v) => ({
          ...v,
          run: { ...v.run, cases: undefined, passedCases: undefined },
        })),
      },
      null,
      1,
    );
  }
  if (format === "markdown") return printable(markdown(verdicts, ctx));
  if (format === "junit") return printable(junit(verdicts));
  return printable(table(verdicts, ctx));
}
