/**
 * The figures the READMEs quote, measured now: each printed with the date, the load average, the machine
 * and the exact command, ready to paste. A figure in a README comes from a run of this script (or another
 * command written next to it), or is not written.
 *
 * Parts (`--only P`, repeatable; default: conformance, html, pack):
 * - `conformance`: the default run (`npx deno task conformance`, `npx bun run conformance`): wall time,
 *   runs and counts per status (README Quick start);
 * - `html`: the size of the default run's page (`--format html`, report/README.md);
 * - `hooks`: the hook targets' counts (good, good_ctor, good@cpython, tracemalloc, tracemalloc:25, Scalene:
 *   conformance/README.md "Measured on hooks");
 * - `pack`: the tarball (`npm pack`: size, files) and the full suite on the good vtable fixture
 *   (cli/README.md);
 * - `test`: the test command (`npx deno task test`): wall time and its closing line (README; run it on a
 *   fresh clone of a quiet machine: `git clone ... && cd ... && npm ci && npx deno run -A tools/figures.ts
 *   --only test`).
 *
 * @example
 * ```sh
 * npx deno run -A tools/figures.ts                 # conformance, html, pack
 * npx deno run -A tools/figures.ts --only hooks    # the hook table of conformance/README.md
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";

const root = new URL("..", import.meta.url).pathname;
const PARTS = ["conformance", "html", "hooks", "pack", "test"] as const;

/** A command's result, timed. */
interface Timed {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  load: number;
}

function timed(cmd: string[], cwd = root, env: Record<string, string> = {}): Timed {
  const load = loadavg()[0];
  const t0 = performance.now();
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd,
    encoding: "utf8",
    maxBuffer: 512 << 20,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return {
    status: r.status,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    seconds: (performance.now() - t0) / 1000,
    load,
  };
}

const stamp = () =>
  `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${cpus().length} CPUs, load ${
    loadavg()[0].toFixed(1)
  }`;
const fmt = (n: number) => n.toLocaleString("en-US");

/** The closing JSON line of `conformance --format json`. */
interface Summary {
  total: number;
  counts: Record<string, number>;
  targets: Record<string, Record<string, number>>;
}
function summaryOf(r: Timed, what: string): Summary {
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as Summary;
  } catch {
    throw new Error(`${what}: no JSON summary (exit ${r.status}): ${r.stderr.trim().split("\n").at(-1)}`);
  }
}
const counts = (c: Record<string, number>) =>
  ["PASS", "FAIL", "ERROR", "SKIP", "UNSUPPORTED"].map((k) => `${fmt(c[k] ?? 0)} ${k}`).join(", ");

function conformance(): void {
  for (
    const [label, cmd] of [
      ["Deno", ["npx", "deno", "task", "conformance", "--format", "json"]],
      ["Bun", ["npx", "bun", "run", "conformance", "--format", "json"]],
    ] as const
  ) {
    const r = timed([...cmd]);
    const s = summaryOf(r, label);
    console.log(
      `- default conformance run under ${label} (\`${cmd.join(" ")}\`, exit ${r.status}): ${
        r.seconds.toFixed(1)
      } s wall (load ${r.load.toFixed(1)} at start), ${fmt(s.total)} runs on ${
        Object.keys(s.targets).join(", ")
      }: ${counts(s.counts)}`,
    );
  }
}

function html(): void {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-figures-"));
  try {
    const file = join(dir, "c.html");
    const r = timed(["sh", "-c", `npx deno task conformance --format html > '${file}'`]);
    const j = summaryOf(timed(["npx", "deno", "task", "conformance", "--format", "json"]), "json");
    console.log(
      `- the default run's page (\`npx deno task conformance --format html > c.html\`, exit ${r.status}): ${
        (statSync(file).size / 1e6).toFixed(2)
      } MB for ${fmt(j.total)} runs, ${r.seconds.toFixed(1)} s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hooks(): void {
  const find = timed([
    "npx",
    "deno",
    "eval",
    `import { buildHooks } from "./conformance/fixtures/c/hooks/build.ts";
import { locate } from "./core/optional.ts";
const h = buildHooks({ quiet: true });
console.log(JSON.stringify({ good: h.good, ctor: h.good_ctor, scalene: locate("python3-scalene") ?? null }));`,
  ]);
  const libs = JSON.parse(find.stdout.trim().split("\n").at(-1)!) as Record<string, string | null>;
  const targets = [
    [`hook:${libs.good}`, "hook:fixtures/c/hooks/build/hook_good.so"],
    [`hook:${libs.ctor}`, "hook:fixtures/c/hooks/build/hook_good_ctor.so"],
    [`hook:${libs.good}@cpython`, "hook:fixtures/c/hooks/build/hook_good.so@cpython"],
    ["tracemalloc", "tracemalloc"],
    ["tracemalloc:25", "tracemalloc:25"],
    ...(libs.scalene ? [[`hook:${libs.scalene}@cpython`, "hook:<libscalene>@cpython"]] : []),
  ];
  console.log("| target | runs | PASS | FAIL | ERROR | SKIP | UNSUPPORTED | informational FAIL |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [t, shown] of targets) {
    const r = timed(["npx", "deno", "task", "conformance", "--target", t, "--format", "json"]);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const s = lines.at(-1) as Summary;
    const info = lines.filter((x) => !x.summary && x.informational && x.status === "FAIL").length;
    const c = s.counts;
    console.log(
      `| \`${shown}\` | ${s.total} | ${c.PASS ?? 0} | ${c.FAIL ?? 0} | ${c.ERROR ?? 0} | ${c.SKIP ?? 0} | ${
        c.UNSUPPORTED ?? 0
      } | ${info} |`,
    );
  }
  console.log(`\n(\`npx deno task conformance --target T --format json\` per row; ${stamp()})`);
}

function pack(): void {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-figures-"));
  try {
    const p = timed(["npm", "pack", root, "--pack-destination", dir, "--silent"], dir);
    const tgz = join(dir, p.stdout.trim().split("\n").at(-1)!);
    const files = timed(["tar", "tzf", tgz], dir).stdout.split("\n").filter((f) =>
      f && !f.endsWith("/")
    ).length;
    console.log(
      `- \`npm pack\`: ${(statSync(tgz).size / 1024).toFixed(0)} KB, ${files} files (${
        tgz.split("/").pop()
      })`,
    );
    const proj = join(dir, "project");
    timed(["mkdir", "-p", proj]);
    timed(["sh", "-c", `echo '{"name":"p","private":true}' > package.json`], proj);
    const i = timed(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund", tgz], proj);
    const fx = timed([
      "npx",
      "deno",
      "eval",
      `import { buildFixtures } from "./conformance/fixtures/c/build.ts";
console.log(buildFixtures({ names: ["good"], quiet: true }).good);`,
    ]).stdout.trim().split("\n").at(-1)!;
    timed(["cp", fx, join(proj, "libmine.so")]);
    const env = { XDG_CACHE_HOME: join(dir, "cache") };
    const cmd = ["npx", "--no", "--", "allocspec", "conformance", "--target", "vtable:./libmine.so"];
    const r = timed([...cmd, "--format", "json"], proj, env);
    const s = summaryOf(r, "package");
    console.log(
      `- \`npm install <tarball>\`: ${i.seconds.toFixed(1)} s (npm cache warm); \`${
        cmd.slice(3).join(" ")
      }\` from the installed package, first use (copy + native build) included: ${r.seconds.toFixed(1)} s, ${
        fmt(s.total)
      } runs: ${counts(s.counts)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function testCommand(): void {
  const r = timed(["npx", "deno", "task", "test"]);
  const closing = (r.stdout + r.stderr).trim().split("\n").filter((l) => l.startsWith("tests: ")).at(-1);
  console.log(
    `- the test command (\`npx deno task test\`, exit ${r.status}): ${
      (r.seconds / 60).toFixed(1)
    } min wall (load ${r.load.toFixed(1)} at start), \`${closing}\``,
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { only: { type: "string", multiple: true } },
  });
  const only = values.only ?? ["conformance", "html", "pack"];
  for (const o of only) {
    if (!(PARTS as readonly string[]).includes(o)) {
      console.error(`figures: unknown part '${o}': use ${PARTS.join(", ")}`);
      process.exit(2);
    }
  }
  console.log(
    `Measured ${stamp()} with \`npx deno run -A tools/figures.ts --only ${only.join(" --only ")}\`:\n`,
  );
  const run: Record<string, () => void> = { conformance, html, hooks, pack, test: testCommand };
  for (const o of only) run[o]();
}
