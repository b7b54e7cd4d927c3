/**
 * Formats the rows of a libs run: `table` (aligned text), `markdown` (the README table) and `json`
 * (rows + run context).
 *
 * @example
 * ```ts
 * import { formatRows } from "./report.ts";
 * console.log(formatRows([], "markdown"));
 * ```
 * @module
 */
import process from "node:process";
import type { LibsRow } from "./run.ts";

/** Output formats. */
export const FORMATS = ["table", "json", "markdown"] as const;
export type Format = typeof FORMATS[number];

const HEAD = [
  "library",
  "target",
  "debug hooks",
  "routed calls",
  "peak bytes",
  "zero-size",
  "free(NULL)",
  "violations",
  "foreign frees",
  "leaks",
  "checks",
  "status",
];
function cells(r: LibsRow): string[] {
  const x = r.result;
  const leaks = x ? (x.leaks.blocks ? `${x.leaks.blocks} (${x.leaks.bytes} B)` : "0") : "-";
  const checks = x ? `${x.checks_passed}/${x.checks_passed + x.checks_failed.count}` : "-";
  return [
    r.scenario,
    r.target,
    r.debugHooks ?? "-",
    x ? String(x.routed) : "-",
    x ? String(x.peak_bytes) : "-",
    x ? String(x.zero_size) : "-",
    x ? String(x.free_null) : "-",
    (r.ended && r.violations ? `${r.violations} (stopped)` : String(r.violations)) +
    (r.rules?.length ? ` ${r.rules.join(",")}` : ""),
    x ? String(x.foreign_frees) : "-",
    leaks,
    checks,
    r.status + (r.expected && r.status === "FINDING" ? " (expected)" : ""),
  ];
}

const FAULT_HEAD = [
  "fault points",
  "tried",
  "handled (reported+absorbed)",
  "crashes",
  "hangs",
  "leaks after failure",
  "violations",
  "unreported",
  "findings (confirmed)",
  "points/s",
];

function faultCells(r: LibsRow): string[] {
  const f = r.faults;
  if (!f) return FAULT_HEAD.map(() => "-");
  return [
    String(f.points),
    String(f.tried),
    `${f.handled} (${f.reported}+${f.absorbed})`,
    ...[f.crashes, f.hangs, f.leaks, f.violations, f.unreported].map(String),
    `${f.findings.length} (${f.findings.filter((x) => x.confirmed).length})`,
    f.pointsPerSecond.toFixed(1),
  ];
}

/** Findings and failures, one line each (what the table cannot hold), each with the command that reruns it. */
export function details(rows: readonly LibsRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const f = r.faults;
    if (
      r.status === "PASS" && !r.result?.notes.count && !f?.findings.length && !f?.warnings.length && !r.failAt
    ) {
      continue;
    }
    const notes = r.result?.notes.texts.length ? ` [notes: ${r.result.notes.texts.join("; ")}]` : "";
    const hooks = r.debugHooks ? ` (debug hooks: ${r.debugHooks})` : "";
    out.push(`${r.status} ${r.scenario} on ${r.target}${hooks}: ${r.message || "ok"}${notes}`);
    if (r.failAt) {
      out.push(
        `    failing point ${r.failAt.point}: ${r.failAt.cls} at ${r.failAt.site}${
          r.failAt.detail ? `: ${r.failAt.detail}` : ""
        }`,
      );
    }
    if (r.status !== "PASS" && r.rerun) out.push(`    rerun: ${r.rerun}`);
    if (r.check?.cStack) out.push(`    C stack: ${r.check.cStack}`);
    if (r.check?.conformance) out.push(`    conformance: ${r.check.conformance}`);
    for (const w of f?.warnings ?? []) out.push(`WARNING fault sweep ${r.scenario} on ${r.target}: ${w}`);
    for (const x of f?.findings ?? []) {
      const how = x.confirmed ? "confirmed" : `NOT REPRODUCED (the rerun gave ${x.rerun})`;
      out.push(
        `FAULT ${x.cls} ${r.scenario} on ${r.target}: ${x.count} point(s) at ${x.site}, first ${x.point}, ${how}: ${x.detail}`,
      );
      if (x.reproducer) out.push(`    reproduce: ${x.reproducer}`);
    }
    if (r.violationText && !r.check) {
      const fatal = r.violationText.match(/Fatal Python error: [^\n]*/)?.[0];
      const fields = r.violationText.match(/\[[a-z_]+ in _Py\w+, api id [^\]]*\]/)?.[0];
      const first = r.violationText.split("\n")[0].replace(/\0/g, "\\0");
      out.push(`    debug hooks: ${fatal ?? fields ?? first}`);
    }
  }
  return out;
}

/** The rows in the chosen format. */
export function formatRows(rows: readonly LibsRow[], format: Format): string {
  if (format === "json") {
    return JSON.stringify(
      {
        context: {
          runtime: (globalThis as any).Bun ? "bun" : "deno",
          date: new Date().toISOString(),
          pid: process.pid,
        },
        rows,
      },
      null,
      2,
    );
  }
  const withFaults = rows.some((r) => r.faults);
  const head = withFaults ? [...HEAD, ...FAULT_HEAD] : HEAD;
  const body = rows.map((r) => withFaults ? [...cells(r), ...faultCells(r)] : cells(r));
  if (format === "markdown") {
    const line = (c: string[]) => `| ${c.join(" | ")} |`;
    return [
      line(head),
      line(head.map(() => "---")),
      ...body.map(line),
      "",
      ...details(rows).map((d) => d.startsWith("    ") ? `  - ${d.trim()}` : `- ${d}`),
    ]
      .join("\n");
  }
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(w[i])).join("  ").trimEnd();
  return [line(head), ...body.map(line), "", ...details(rows)].join("\n");
}
