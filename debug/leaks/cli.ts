/**
 * `npx deno task leaks` (Bun: `bun run leaks`): the blocks a Python program leaves live, grouped by the Python
 * file:line that allocated them (MEM/OBJ) or by C site (RAW), sorted by bytes, with counts per domain
 * (PEP 445 rationale: "track memory leaks", "get the Python filename and line number where an object was
 * allocated").
 *
 * ```
 * leaks [--target T] [--debug-hooks[=native|cpython|none]] [--python P] [--snapshot exit|last|LABEL]
 *       [--top N] [--format table|json|markdown] [--output FILE] -- <python args>
 * ```
 * The program's own output passes through. Snapshots: `exit` (default; before the interpreter is torn down),
 * or one the program requested with `sys.audit("allocspec.leaks.snapshot", "LABEL")`.
 * Exit status: 0 report written, 1 the snapshot was never taken (the program died first), 2 usage.
 *
 * @example
 * ```sh
 * npx deno task leaks -- debug/fixtures/leak_driver.py
 * ```
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../../core/usage.ts";
import { launchSpec } from "../../targets/launcher.ts";
import { normalizeTargetFlags, parseDebugHooks } from "../../targets/flags.ts";
import { buildLayer } from "../layers.ts";
import { formatLeaks } from "./report.ts";
import { trackLeaks } from "./run.ts";

const USAGE =
  "usage: leaks [--target T] [--debug-hooks[=cpython|native|none]] [--snapshot exit|last|LABEL] [--top N] [--format F] -- <python args>";

/** Runs the command; returns the exit status. */
export function main(argv: string[]): number {
  // one spelling: --target (--allocator: alias), a bare --debug-hooks = libpython's PyMem_SetupDebugHooks
  argv = normalizeTargetFlags(argv, "leaks");
  const end = argv.indexOf("--");
  const { values: v } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      target: { type: "string" },
      "debug-hooks": { type: "string" },
      python: { type: "string" },
      snapshot: { type: "string", default: "exit" },
      top: { type: "string", default: "20" },
      format: { type: "string", default: "table" },
      output: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (!["table", "json", "markdown"].includes(v.format!)) {
    throw new UsageError(`--format '${v.format}': use table, json or markdown`);
  }
  if (!/^\d+$/.test(v.top!) || +v.top! < 1) throw new UsageError(`--top '${v.top}': use an integer >= 1`);
  const py = end >= 0 ? argv.slice(end + 1) : [];
  if (!py.length) throw new UsageError(`no Python program: ${USAGE}`);
  const launch = launchSpec({
    target: v.target,
    debugHooks: parseDebugHooks(v["debug-hooks"]),
    python: v.python,
    layers: [buildLayer("as_leaks")],
  });
  const run = trackLeaks(launch, py, { stdio: ["inherit", "inherit", "inherit"] });
  const want = v.snapshot!;
  const snap = want === "last" ? run.snapshots.at(-1) : run.snapshots.findLast((s) => s.label === want);
  if (!snap) {
    const have = run.snapshots.map((s) => s.label).join(", ") || "none";
    console.error(
      `leaks: no snapshot '${want}' (taken: ${have}; the program exited with ${run.status ?? run.signal})`,
    );
    return 1;
  }
  const text = formatLeaks(snap, v.format as "table", +v.top!);
  if (v.output) {
    writeFileSync(v.output, text);
    console.error(`leaks: report written to ${v.output}`);
  } else process.stdout.write(text);
  return 0;
}

if ((import.meta as { main?: boolean }).main) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`leaks: ${(e as Error).message}`);
    process.exit(usage ? 2 : 1);
  }
}
