import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { STABLE_FIGURES } from "./goals.ts";
import { currentRuntime } from "../core/runtime.ts";
import { runScript } from "../core/child.ts";
import { SCENARIOS } from "./scenarios/mod.ts";
import { traceStats } from "./trace_check.ts";
import { missing, needs, type PackageName } from "../core/optional.ts";
import { HARNESSES } from "../clients/libs/build.ts";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");

/** Why the native library cannot be built here, or null when it can. */
async function nativeUnavailable(): Promise<string | null> {
  const p = join(ROOT, "native", "build.ts");
  if (!existsSync(p)) return "native/build.ts is not in this checkout";
  try {
    const m = await import(new URL(`file://${p}`).href);
    m.buildNative({ quiet: true });
    return null;
  } catch (e) {
    return `the native library cannot be built: ${(e as Error).message.split("\n")[0]}`;
  }
}

test("bench: bad usage exits 2 with one clear line", () => {
  const bench = (args: string[]) =>
    runScript(join(ROOT, "bench", "main.ts"), args, {
      inherit: true,
      exposeGc: true,
      cwd: ROOT,
      timeoutMs: 60_000,
    });
  const r = bench(["--filter", "^nothing-matches$"]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /bench: --filter \^nothing-matches\$ matches no scenario/);
  const r2 = bench(["--filter", "("]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /not a valid regular expression/);
});

// Decided before the test runs: Deno's node:test counts a test that calls t.skip() as passed.
const NO_NATIVE = await nativeUnavailable();
// libs_sweep builds the zlib and SQLite harnesses (--quick): without their -dev packages its figures are
// "not measured" (the scenario says which package), checked by the test after this one, a package skip
const LIBS_PKGS = ["zlib1g-dev", "libsqlite3-dev"].filter((p) =>
  Object.values(HARNESSES).some((h) => h.debian === p)
) as PackageName[];
const LIBS_MISSING = missing(...LIBS_PKGS).length > 0;
const LIBS_FIGURES = new Set<string>(STABLE_FIGURES.filter((f) => f.startsWith("libs_sweep_")));
// fault_sweep runs from the installed package only (cli/pack_test.ts, the same figure checks; it is the
// costliest scenario of --quick, ~26 CPU-s): here it is filtered out, and its figures say "not measured"
const SWEEP = "fault_sweep";
const SWEEP_FIGURES = new Set<string>(STABLE_FIGURES.filter((f) => f.startsWith(`${SWEEP}_`)));
let quickReport: { figures: Record<string, { value: number | null; status: string }> } | undefined;

test(
  "bench: --quick runs every scenario (fault_sweep: pack_test) in both runtimes, JSON with every stable figure",
  {
    // a hang guard, not a budget: bench --quick's wall time grows with the machine's load (many times over
    // on a shared machine), and its figures are not judged here, only that every scenario ran and parsed
    timeout: 1_260_000,
    skip: NO_NATIVE ?? false,
  },
  () => {
    const out = mkdtempSync(join(tmpdir(), "allocspec-bench-test-"));
    try {
      const r = runScript(join(ROOT, "bench", "main.ts"), [
        "--quick",
        "--filter",
        `^(?!${SWEEP}$)`,
        "--out",
        out,
      ], {
        inherit: true,
        exposeGc: true,
        cwd: ROOT,
        timeoutMs: 1_200_000,
      });
      const report = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
      assert.equal(report.schema, "allocspec-bench/1");
      assert.match(
        readFileSync(join(out, "latest.html"), "utf8"),
        /^<!doctype html>[^]*id="goals"/,
        "latest.html",
      );
      assert.equal(report.quick, true);
      quickReport = report;
      for (const name of STABLE_FIGURES) {
        const f = report.figures[name];
        assert.ok(f, `figure ${name} missing`);
        assert.ok(["met", "missed", "not measured"].includes(f.status), `${name}: status ${f.status}`);
        assert.equal(
          f.value === null,
          f.status === "not measured",
          `${name}: value ${f.value} vs status ${f.status}`,
        );
      }
      const errors = report.scenarios.filter((s: any) => s.error).map((s: any) =>
        `${s.name}@${s.runtime}: ${s.error}`
      );
      assert.deepEqual(errors, [], `scenarios failed:\n${errors.join("\n")}\n${r.stderr.slice(-2000)}`);
      const ran = new Set(report.scenarios.map((s: any) => `${s.name}@${s.runtime}`));
      for (const s of SCENARIOS.filter((x) => x.name !== SWEEP)) {
        assert.ok(ran.has(`${s.name}@${currentRuntime()}`), `${s.name} did not run`);
        if (s.crossRuntime) {
          assert.ok(
            ran.has(`${s.name}@${currentRuntime() === "bun" ? "deno" : "bun"}`),
            `${s.name} did not run in the other runtime`,
          );
        }
      }
      for (const name of STABLE_FIGURES) {
        if ((LIBS_MISSING && LIBS_FIGURES.has(name)) || SWEEP_FIGURES.has(name)) {
          assert.equal(report.figures[name].status, "not measured", `${name} without what it builds on`);
          continue;
        }
        assert.equal(typeof report.figures[name].value, "number", `${name} has no value`);
      }
      // mitata's own stats are kept per scenario (4 FFI benchmarks in each runtime)
      for (const s of report.scenarios.filter((x: any) => x.name === "ffi_cost")) {
        assert.equal(s.mitata.length, 4, `${s.runtime}: ${JSON.stringify(s.mitata)}`);
        for (const b of s.mitata) assert.ok(b.p50 > 0 && b.samples > 0, JSON.stringify(b));
      }
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      assert.ok(existsSync(join(out, "latest.svg")));
      assert.match(readFileSync(join(out, "latest.md"), "utf8"), /hook_overhead_cpython_pct/);
      // the workload trace captured in CPython by the native tracing hook is a valid A445TRC1 trace
      const st = traceStats(new Uint8Array(readFileSync(join(ROOT, "bench", "traces", "pybench-s1.a445"))));
      assert.deepEqual(st.problems, []);
      assert.ok(st.byDomain[1] > 0 && st.byDomain[2] > 0, `MEM and OBJ calls expected: ${st.byDomain}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);

test("bench: libs_sweep's figures come out of --quick (the libs harnesses built)", {
  skip: NO_NATIVE ?? needs(...LIBS_PKGS),
}, () => {
  assert.ok(quickReport, "the --quick run above did not finish");
  for (const name of LIBS_FIGURES) {
    assert.equal(typeof quickReport.figures[name].value, "number", `${name} has no value`);
  }
});
