/**
 * The fault-sweep report: findings deduplicated by site, formatted as a table, JSON or Markdown, and merged
 * over shards (`faults merge shard*.json`) with the same deduplication.
 *
 * @example
 * ```ts
 * import { emptyReport, formatReport, mergeReports } from "./report.ts";
 * const r = mergeReports([emptyReport(["-c", "pass"]), emptyReport(["-c", "pass"])]);
 * console.log(formatReport(r, "table"));
 * ```
 * @module
 */
import type { FindingClass } from "../../core/outcome.ts";

/** One distinct site that produced a finding. */
export interface Finding {
  cls: FindingClass;
  key: string;
  domain: string;
  size: number;
  /** kept C frames of the failing call, innermost first */
  c: string[];
  /** Python frames at the failing call, innermost first (file:line in func) */
  py: string[];
  /** crashes: where the process died (C frames, innermost first), when the crash handler caught it */
  crash?: string[];
  /** first line of evidence (SystemError, Fatal Python error, signal) */
  evidence: string;
  /** points that hit this site with this class */
  hits: number;
  /** the smallest point (the reproducer's) and up to 20 points */
  points: number[];
  reproducer: string;
}

/** A whole sweep (or a merge of shards). */
export interface FaultsReport {
  version: 1;
  /** the python arguments swept */
  argv: string[];
  /** options that define the point numbering (mode, domains, sizes, library, module, allocator...) */
  options: Record<string, string | number | boolean>;
  /** matching calls counted by the dry run */
  counts: Record<string, number>;
  shards: string[];
  stats: {
    planned: number;
    run: number;
    ok: number;
    handled: number;
    findings: number;
    /** points that were planned but never reached or never reported */
    missing: number;
    /** points rerun in a fresh process (other threads alive at the point) */
    fresh: number;
  };
  /** distinct sites whose failure the program handled (MemoryError or clean error exit), with hit counts */
  handled: Record<string, number>;
  findings: Finding[];
  durationMs: number;
  /** what may make the numbers less than exact (dry run failed, the sweep run counted differently) */
  warnings?: string[];
}

/** A report with nothing in it. */
export function emptyReport(argv: string[], options: FaultsReport["options"] = {}): FaultsReport {
  return {
    version: 1,
    argv,
    options,
    counts: {},
    shards: [],
    stats: { planned: 0, run: 0, ok: 0, handled: 0, findings: 0, missing: 0, fresh: 0 },
    handled: {},
    findings: [],
    durationMs: 0,
  };
}

/** Adds a finding hit, deduplicating by class + site key. */
export function addFinding(r: FaultsReport, f: Omit<Finding, "hits" | "points">, point: number): void {
  const old = r.findings.find((x) => x.cls === f.cls && x.key === f.key);
  if (!old) {
    r.findings.push({ ...f, hits: 1, points: [point] });
    return;
  }
  old.hits++;
  if (point < old.points[0]) {
    old.points.unshift(point);
    Object.assign(old, {
      reproducer: f.reproducer,
      py: f.py,
      c: f.c,
      evidence: f.evidence,
      domain: f.domain,
      size: f.size,
    });
  } else if (old.points.length < 20) old.points.push(point);
  old.points = [...new Set(old.points)].sort((a, b) => a - b).slice(0, 20);
}

/** Merges shard reports of the same program and options into one (findings deduplicated by site). */
export function mergeReports(reports: FaultsReport[]): FaultsReport {
  if (!reports.length) throw new Error("faults merge: no reports given");
  const first = reports[0];
  const out = emptyReport(first.argv, first.options);
  out.counts = { ...first.counts };
  for (const r of reports) {
    if (JSON.stringify(r.argv) !== JSON.stringify(first.argv)) {
      throw new Error(
        `faults merge: reports of different programs (${r.argv.join(" ")} vs ${first.argv.join(" ")})`,
      );
    }
    out.shards.push(...r.shards);
    for (const k of Object.keys(out.stats) as (keyof FaultsReport["stats"])[]) out.stats[k] += r.stats[k];
    for (const [k, n] of Object.entries(r.handled)) out.handled[k] = (out.handled[k] ?? 0) + n;
    for (const f of r.findings) {
      const old = out.findings.find((x) => x.cls === f.cls && x.key === f.key);
      if (!old) out.findings.push({ ...f, points: [...f.points] });
      else {
        old.hits += f.hits;
        if (f.points[0] < old.points[0]) {
          Object.assign(old, {
            py: f.py,
            c: f.c,
            crash: f.crash,
            evidence: f.evidence,
            reproducer: f.reproducer,
            domain: f.domain,
            size: f.size,
          });
        }
        old.points = [...new Set([...old.points, ...f.points])].sort((a, b) => a - b).slice(0, 20);
      }
    }
    out.durationMs += r.durationMs;
    for (const w of r.warnings ?? []) (out.warnings ??= []).push(w);
  }
  out.stats.findings = out.findings.reduce((n, f) => n + f.hits, 0);
  sortFindings(out);
  return out;
}

/** Orders findings: class severity, then hits. */
export function sortFindings(r: FaultsReport): void {
  const rank: Record<string, number> = { crash: 0, abort: 1, violation: 2, "lost-exception": 3, hang: 4 };
  r.findings.sort((a, b) => rank[a.cls] - rank[b.cls] || b.hits - a.hits || a.key.localeCompare(b.key));
}

function summary(r: FaultsReport): string {
  const s = r.stats;
  return `${s.run} of ${s.planned} points run (${s.ok} ok, ${s.handled} handled at ${
    Object.keys(r.handled).length
  } sites, ${s.findings} findings at ${r.findings.length} sites, ${s.missing} missing, ${s.fresh} fresh runs)`;
}

/** The report as `table` (terminal), `json` or `markdown`. */
export function formatReport(r: FaultsReport, format: "table" | "json" | "markdown"): string {
  if (format === "json") return JSON.stringify(r, null, 2) + "\n";
  const lines: string[] = [];
  const md = format === "markdown";
  lines.push(md ? `## Fault sweep: \`${r.argv.join(" ")}\`` : `fault sweep: ${r.argv.join(" ")}`);
  lines.push("", md ? `${summary(r)}.` : summary(r), "");
  r.findings.forEach((f, i) => {
    const where = f.c[0] ?? f.py[0] ?? "unknown site";
    if (md) {
      lines.push(`### ${i + 1}. ${f.cls} at \`${where}\` (${f.hits} point${f.hits === 1 ? "" : "s"})`, "");
      lines.push(`- failing call: ${f.domain} domain, ${f.size} bytes; evidence: \`${f.evidence}\``);
      lines.push(`- C: ${f.c.slice(0, 5).map((x) => `\`${x}\``).join(" < ") || "(no C frame kept)"}`);
      lines.push(`- Python: ${f.py.slice(0, 3).map((x) => `\`${x}\``).join(" < ") || "(none)"}`);
      if (f.crash?.length) lines.push(`- died in: ${f.crash.slice(0, 3).map((x) => `\`${x}\``).join(" < ")}`);
      lines.push(`- reproduce: \`${f.reproducer}\``, "");
    } else {
      lines.push(`${i + 1}. ${f.cls.toUpperCase()} x${f.hits}  ${where}`);
      for (const c of f.c.slice(1, 4)) lines.push(`     < ${c}`);
      if (f.py[0]) lines.push(`     python: ${f.py[0]}`);
      if (f.crash?.length) lines.push(`     died in: ${f.crash.slice(0, 2).join(" < ")}`);
      lines.push(`     call: ${f.domain} ${f.size} bytes; ${f.evidence}`);
      lines.push(`     reproduce: ${f.reproducer}`);
    }
  });
  if (!r.findings.length) lines.push(md ? "No finding." : "no finding");
  for (const w of r.warnings ?? []) lines.push(md ? `\n> warning: ${w}` : `warning: ${w}`);
  return lines.join("\n") + "\n";
}
