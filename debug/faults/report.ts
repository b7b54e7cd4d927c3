/**
 * The fault-sweep report: findings grouped by the C site of the failing call, and within each C site by
 * Python site (the innermost frame outside the standard library: the user's code that led there), each
 * with its own hits, points and reproducer and whether a fresh rerun of its smallest point confirmed it;
 * formatted as a table, JSON or Markdown, and merged over shards (`faults merge shard*.json`) with the same
 * grouping.
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

/** Whether a fresh rerun (`--fail-at` the smallest point) reproduced a finding: same class, same site. */
export type Confirmation = "confirmed" | "not reproduced" | "unconfirmed";

/** One Python site of a finding. */
export interface PySite {
  /** innermost frame outside the standard library (else the innermost): `file:line in func`; "" if none */
  site: string;
  /** Python frames at the smallest point's failing call, innermost first */
  py: string[];
  hits: number;
  /** smallest first, at most 20 */
  points: number[];
  /** the smallest point's line of evidence */
  evidence: string;
  /** crashes: where the smallest point's process died (C frames, innermost first) */
  crash?: string[];
  /** the command that reruns the smallest point in a fresh process */
  reproducer: string;
  status: Confirmation;
  /** when not reproduced: what the fresh run did instead */
  confirmation?: string;
}

/** One class of failure at one C site. */
export interface Finding {
  cls: FindingClass;
  /** a checking layer's rule id (violations) */
  rule?: string;
  /** the C site (site.ts siteKey) */
  key: string;
  domain: string;
  size: number;
  /** kept C frames of the failing call, innermost first */
  c: string[];
  /** every hit, over all Python sites */
  hits: number;
  /** smallest first, at most 20, over all Python sites */
  points: number[];
  /** the Python sites, most hits first */
  python: PySite[];
  /** the smallest point's: Python frames, evidence, crash frames, reproducer */
  py: string[];
  evidence: string;
  crash?: string[];
  reproducer: string;
  /** confirmed when a Python site was confirmed; not reproduced when every one tried was not */
  status: Confirmation;
}

/** A whole sweep (or a merge of shards). */
export interface FaultsReport {
  version: 2;
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
    /** points whose outcome is a finding (confirmed or not) */
    findings: number;
    /** points that were planned but never reached or never reported */
    missing: number;
    /** points rerun in a fresh process (threads alive, or a child stopped before a side effect) */
    fresh: number;
    /** Python sites whose fresh rerun confirmed / did not reproduce the finding */
    confirmed: number;
    notReproduced: number;
  };
  /** distinct sites whose failure the program handled (MemoryError or clean error exit), with hit counts */
  handled: Record<string, number>;
  findings: Finding[];
  durationMs: number;
  /** what may make the numbers less than exact (the dry run failed, the sweep run diverged...) */
  warnings?: string[];
}

/** A report with nothing in it. */
export function emptyReport(argv: string[], options: FaultsReport["options"] = {}): FaultsReport {
  return {
    version: 2,
    argv,
    options,
    counts: {},
    shards: [],
    stats: {
      planned: 0,
      run: 0,
      ok: 0,
      handled: 0,
      findings: 0,
      missing: 0,
      fresh: 0,
      confirmed: 0,
      notReproduced: 0,
    },
    handled: {},
    findings: [],
    durationMs: 0,
  };
}

/** One point's finding, before grouping. */
export interface Hit {
  cls: FindingClass;
  rule?: string;
  key: string;
  domain: string;
  size: number;
  c: string[];
  py: string[];
  /** the Python site (site.ts pythonSite) */
  pySite: string;
  crash?: string[];
  evidence: string;
  reproducer: string;
}

const sameGroup = (
  f: { cls: string; rule?: string; key: string },
  g: { cls: string; rule?: string; key: string },
) => f.cls === g.cls && (f.rule ?? "") === (g.rule ?? "") && f.key === g.key;

const mergePoints = (a: number[], b: number[]) =>
  [...new Set([...a, ...b])].sort((x, y) => x - y).slice(0, 20);

/** Refreshes a finding's summary fields from its Python sites (smallest point first). */
function summarize(f: Finding): void {
  f.python.sort((a, b) => b.hits - a.hits || a.points[0] - b.points[0] || a.site.localeCompare(b.site));
  f.hits = f.python.reduce((n, p) => n + p.hits, 0);
  f.points = f.python.reduce((acc, p) => mergePoints(acc, p.points), [] as number[]);
  const first = f.python.reduce((m, p) => (p.points[0] < m.points[0] ? p : m));
  Object.assign(f, {
    py: first.py,
    evidence: first.evidence,
    crash: first.crash,
    reproducer: first.reproducer,
  });
  const tried = f.python.filter((p) => p.status !== "unconfirmed");
  f.status = f.python.some((p) => p.status === "confirmed")
    ? "confirmed"
    : tried.length && tried.length === f.python.length
    ? "not reproduced"
    : "unconfirmed";
}

/** Adds a finding hit, grouped by class + rule + C site, then by Python site. */
export function addFinding(r: FaultsReport, h: Hit, point: number): void {
  let f = r.findings.find((x) => sameGroup(x, h));
  if (!f) {
    f = {
      cls: h.cls,
      key: h.key,
      domain: h.domain,
      size: h.size,
      c: h.c,
      hits: 0,
      points: [],
      python: [],
      py: h.py,
      evidence: h.evidence,
      reproducer: h.reproducer,
      status: "unconfirmed",
    };
    if (h.rule) f.rule = h.rule;
    r.findings.push(f);
  }
  let p = f.python.find((x) => x.site === h.pySite);
  if (!p) {
    p = {
      site: h.pySite,
      py: h.py,
      hits: 0,
      points: [point],
      evidence: h.evidence,
      reproducer: h.reproducer,
      status: "unconfirmed",
    };
    if (h.crash?.length) p.crash = h.crash;
    f.python.push(p);
  }
  p.hits++;
  if (point < p.points[0]) {
    Object.assign(p, { py: h.py, evidence: h.evidence, reproducer: h.reproducer, crash: h.crash });
    if (point < f.points[0]) Object.assign(f, { domain: h.domain, size: h.size, c: h.c });
  }
  p.points = mergePoints(p.points, [point]);
  summarize(f);
}

/** Counts the confirmation statuses of every Python site into r.stats. */
export function countConfirmations(r: FaultsReport): void {
  r.stats.confirmed = r.findings.reduce(
    (n, f) => n + f.python.filter((p) => p.status === "confirmed").length,
    0,
  );
  r.stats.notReproduced = r.findings.reduce(
    (n, f) => n + f.python.filter((p) => p.status === "not reproduced").length,
    0,
  );
}

/** Merges shard reports of the same program and options into one (the same grouping). */
export function mergeReports(reports: FaultsReport[]): FaultsReport {
  if (!reports.length) throw new Error("faults merge: no reports given");
  const first = reports[0];
  const out = emptyReport(first.argv, first.options);
  out.counts = { ...first.counts };
  for (const r of reports) {
    if (r.version !== 2) {
      throw new Error(`faults merge: report format ${r.version} is not this tool's (2): rerun the shard`);
    }
    if (JSON.stringify(r.argv) !== JSON.stringify(first.argv)) {
      throw new Error(
        `faults merge: reports of different programs (${r.argv.join(" ")} vs ${first.argv.join(" ")})`,
      );
    }
    out.shards.push(...r.shards);
    for (const k of Object.keys(out.stats) as (keyof FaultsReport["stats"])[]) out.stats[k] += r.stats[k];
    for (const [k, n] of Object.entries(r.handled)) out.handled[k] = (out.handled[k] ?? 0) + n;
    for (const f of r.findings) {
      let old = out.findings.find((x) => sameGroup(x, f));
      if (!old) {
        old = { ...f, python: [] };
        out.findings.push(old);
      }
      if (f.points[0] < (old.points[0] ?? Infinity)) {
        Object.assign(old, { domain: f.domain, size: f.size, c: f.c });
      }
      for (const p of f.python) {
        const q = old.python.find((x) => x.site === p.site);
        if (!q) {
          old.python.push({ ...p, points: [...p.points] });
          continue;
        }
        q.hits += p.hits;
        if (p.points[0] < q.points[0]) {
          Object.assign(q, {
            py: p.py,
            evidence: p.evidence,
            crash: p.crash,
            reproducer: p.reproducer,
            status: p.status,
            confirmation: p.confirmation,
          });
        } else if (q.status !== "confirmed" && p.status === "confirmed") q.status = "confirmed";
        q.points = mergePoints(q.points, p.points);
      }
      summarize(old);
    }
    out.durationMs += r.durationMs;
    for (const w of r.warnings ?? []) (out.warnings ??= []).push(w);
  }
  out.stats.findings = out.findings.reduce((n, f) => n + f.hits, 0);
  countConfirmations(out);
  sortFindings(out);
  return out;
}

/** Orders findings: confirmed first, then class severity, then hits. */
export function sortFindings(r: FaultsReport): void {
  const rank: Record<string, number> = { crash: 0, abort: 1, violation: 2, "lost-exception": 3, hang: 4 };
  const conf: Record<Confirmation, number> = { confirmed: 0, unconfirmed: 1, "not reproduced": 2 };
  r.findings.sort((a, b) =>
    conf[a.status] - conf[b.status] || rank[a.cls] - rank[b.cls] || b.hits - a.hits ||
    a.key.localeCompare(b.key)
  );
}

/** The findings that count in the exit status: every one confirmed (or never tried, e.g. a merge of old shards). */
export function countedFindings(r: FaultsReport): Finding[] {
  return r.findings.filter((f) => f.status !== "not reproduced");
}

function summary(r: FaultsReport): string {
  const s = r.stats;
  const nr = s.notReproduced ? `, ${s.notReproduced} not reproduced` : "";
  return `${s.run} of ${s.planned} points run (${s.ok} ok, ${s.handled} handled at ${
    Object.keys(r.handled).length
  } sites, ${s.findings} findings at ${r.findings.length} C sites, ${s.confirmed} confirmed${nr}, ${s.missing} missing, ${s.fresh} fresh runs)`;
}

const label = (f: Finding) => `${f.cls}${f.rule ? `: ${f.rule}` : ""}`;
const pts = (p: number[], hits: number) =>
  `point${p.length === 1 ? "" : "s"} ${p.slice(0, 6).join(", ")}${hits > 6 ? ", ..." : ""}`;
const statusText = (p: PySite) =>
  p.status === "not reproduced" ? `NOT REPRODUCED (${p.confirmation ?? "a fresh run did not"})` : p.status;

/** The report as `table` (terminal), `json` or `markdown`. */
export function formatReport(r: FaultsReport, format: "table" | "json" | "markdown"): string {
  if (format === "json") return JSON.stringify(r, null, 2) + "\n";
  const lines: string[] = [];
  const md = format === "markdown";
  lines.push(md ? `## Fault sweep: \`${r.argv.join(" ")}\`` : `fault sweep: ${r.argv.join(" ")}`);
  lines.push("", md ? `${summary(r)}.` : summary(r), "");
  r.findings.forEach((f, i) => {
    const where = f.c[0] ?? f.py[0] ?? "unknown site";
    const n = f.python.length;
    const head = `${f.hits} point${f.hits === 1 ? "" : "s"}, ${n} Python site${
      n === 1 ? "" : "s"
    }, ${f.status}`;
    if (md) {
      lines.push(`### ${i + 1}. ${label(f)} at \`${where}\` (${head})`, "");
      lines.push(`- C: ${f.c.slice(0, 5).map((x) => `\`${x}\``).join(" < ") || "(no C frame kept)"}`);
      lines.push(`- failing call: ${f.domain} domain, ${f.size} bytes; evidence: \`${f.evidence}\``);
      if (f.crash?.length) lines.push(`- died in: ${f.crash.slice(0, 3).map((x) => `\`${x}\``).join(" < ")}`);
      for (const p of f.python) {
        lines.push(
          `- from \`${p.site || "(no Python frame)"}\`: ${p.hits} hit${p.hits === 1 ? "" : "s"} (${
            pts(p.points, p.hits)
          }), ${statusText(p)}; reproduce: \`${p.reproducer}\``,
        );
      }
      lines.push("");
    } else {
      lines.push(`${i + 1}. ${label(f).toUpperCase()} x${f.hits}  ${where}  [${head}]`);
      for (const c of f.c.slice(1, 4)) lines.push(`     < ${c}`);
      if (f.crash?.length) lines.push(`     died in: ${f.crash.slice(0, 2).join(" < ")}`);
      lines.push(`     call: ${f.domain} ${f.size} bytes; ${f.evidence}`);
      for (const p of f.python) {
        lines.push(
          `     from ${p.site || "(no Python frame)"}: x${p.hits}, ${pts(p.points, p.hits)}; ${
            statusText(p)
          }`,
        );
        if (p.evidence !== f.evidence) lines.push(`       ${p.evidence}`);
        lines.push(`       reproduce: ${p.reproducer}`);
      }
    }
  });
  if (!r.findings.length) lines.push(md ? "No finding." : "no finding");
  for (const w of r.warnings ?? []) lines.push(md ? `\n> warning: ${w}` : `warning: ${w}`);
  return lines.join("\n") + "\n";
}
