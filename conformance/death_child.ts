/**
 * A death-test child: opens a conformance target through its adapter and performs ONE misuse scenario
 * that the debug hooks must turn into an abort (SIGABRT + CPython's diagnostic on stderr). Run by
 * {@link runDeathScenario} (death_scenarios.ts) through death.ts; not a test file itself.
 *
 * Usage: `death_child.ts <target spec> <scenario> <domain RAW|MEM|OBJ> [--hooks]`
 * (`--hooks`: call PyMem_SetupDebugHooks first; without it the hooks must already be installed, e.g.
 * by PYTHONMALLOC=debug). Exit 0 means nothing aborted; exit 3 means bad usage.
 *
 * @example
 * ```sh
 * PYTHONMALLOC=debug deno run -A conformance/death_child.ts cpython overflow MEM
 * ```
 * @module
 */
import process from "node:process";
import { loadAdapter } from "./adapters/mod.ts";
import { type ScenarioName, SCENARIOS } from "./death_scenarios.ts";
import type { DomainName } from "./case.ts";

async function main(): Promise<void> {
  const [spec, scenario, domain, ...rest] = process.argv.slice(2);
  if (!spec || !(scenario in SCENARIOS) || !["RAW", "MEM", "OBJ"].includes(domain ?? "")) {
    console.error(
      `usage: death_child.ts <target> <${Object.keys(SCENARIOS).join("|")}> <RAW|MEM|OBJ> [--hooks]`,
    );
    process.exit(3);
  }
  const adapter = await loadAdapter(spec, { abi: "shipped", probed: true }); // this is the child already
  const py = adapter.open("cpython");
  py.setViolationMode("abort");
  if (rest.includes("--hooks")) py.PyMem_SetupDebugHooks();
  SCENARIOS[scenario as ScenarioName].run(py, domain as DomainName);
  console.log("no abort");
  process.exit(0);
}

await main();
