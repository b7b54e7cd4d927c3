/**
 * The probe child of the `hook:` and `tracemalloc` targets (hook.ts `probeInChild`): builds the target
 * with its probe disabled, installs the hook once (open), and prints one line
 * `@@hook-probe@@ {"hooked": [...]}` or `@@hook-probe@@ {"error": "..."}`. A hook that crashes the
 * process leaves no line: the parent reports the signal.
 *
 * @example
 * ```sh
 * ALLOCSPEC_HOOK_PROBED=1 deno run -A conformance/adapters/hook_probe.ts --probe hook:./libmyhook.so@cpython
 * ```
 * @module
 */
import process from "node:process";
import { loadAdapter } from "./mod.ts";
import { dieWithParent, ownProcessGroup } from "../../native/mod.ts";
import { PROBE_MARK, type ProbeReport } from "./hook.ts";
import { hookUnderTest } from "./hook_session.ts";

if (import.meta.main) {
  ownProcessGroup(); // before the hook's constructors run: whatever they fork stays in our group
  dieWithParent();
  const spec = process.argv[process.argv.indexOf("--probe") + 1] ?? "";
  const out = (o: ProbeReport) => console.log(PROBE_MARK + JSON.stringify(o));
  try {
    const a = await loadAdapter(spec, { abi: "shipped" });
    const py = a.open("cpython");
    out({ hooked: [...(hookUnderTest(py)?.hooked ?? [])] });
    a.close?.();
  } catch (e) {
    out({ error: (e instanceof Error ? e.message : String(e)).split("\n")[0] });
  }
  process.exit(0);
}
