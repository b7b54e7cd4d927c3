/**
 * `deno task python` / `bun run python`: the machine's real CPython on the allocator under test.
 *
 *     npx deno task python --target libc:libjemalloc.so.2 --debug-hooks -- -m json.tool x.json
 *     npx bun run python --target native:pep445 -- -c "import sys; print(sys.executable)"
 *
 * Options (before `--`; everything after `--` goes to Python unchanged):
 * - `--target SPEC` (old name `--allocator`, kept with a note): `native[:cpython310|pep445]` (default
 *   `native`), `cpython[:LIBPYTHON]`,
 *   `vtable:PATH[:SYMBOL]`, `libc:PATH[:PREFIX]` (targets/launcher.ts)
 * - `--debug-hooks[=cpython|native|none]`: the PEP 445 debug hooks over it; bare = CPython's own
 * - `--check[=stop|count]`: the checking layer (debug/check/) directly above the allocator, below the
 *   debug hooks, from start-up on: every call checked against the conformance rules; the first violation
 *   ends the program with a report naming the rule (exit 86), `count` reports every one and goes on
 * - `--python PATH`: a python3 (its shared libpython is found by sysconfig) or a libpython .so
 * - `--layer PATH` (repeatable: a hook library that must install itself; one that installs nothing or
 *   dies while installing is refused with one line, exit 2), `--variant release|debug|asan`, `--print-env`
 *   (print the environment and command instead of running)
 *
 * Exit status: Python's; a signal that kills Python kills this process the same way (after the
 * launcher's one line naming the allocator and the signal); 86 when the checking layer stopped the
 * program at a violation; 2 for bad usage (one line on stderr, nothing run).
 *
 * @example
 * ```ts
 * import { main } from "./python.ts";
 * const status = main(["--target", "native", "--", "-c", "print(1)"]);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../core/usage.ts";
import { type Variant, VARIANTS } from "../core/cbuild.ts";
import { launchSpec } from "../targets/launcher.ts";
import { checkLayerOptions } from "../debug/check/launch.ts";
import { type DebugHooks, normalizeTargetFlags, parseDebugHooks } from "../targets/flags.ts";
import { enterUserCwd } from "../core/cwd.ts";
import { exitStatusOf } from "../core/signals.ts";

const USAGE =
  "usage: python [--target SPEC] [--debug-hooks[=cpython|native|none]] [--check[=stop|count]] [--python PATH] [--layer PATH]... [--variant V] [--print-env] -- PYTHON_ARGS...";

/** Splits argv at the first `--` and parses the launcher's options; throws UsageError. */
export function parsePythonArgs(argv: string[]): {
  target: string;
  debugHooks: DebugHooks;
  /** the checking layer's mode, or false when it is off */
  check: false | "stop" | "count";
  python?: string;
  layers: string[];
  variant: Variant;
  printEnv: boolean;
  help: boolean;
  pythonArgs: string[];
} {
  // Python's arguments start after `--`; without one (Bun drops a leading `--`), at the first word that is
  // not one of ours (all ours are long options, or -h): `python -c 1` works too.
  const dd = argv.indexOf("--");
  let own = dd < 0 ? argv : argv.slice(0, dd);
  let pythonArgs = dd < 0 ? [] : argv.slice(dd + 1);
  if (dd < 0) {
    const WITH_VALUE = ["--target", "--allocator", "--python", "--layer", "--variant"];
    for (let i = 0; i < argv.length; i++) {
      if (WITH_VALUE.includes(argv[i])) i++;
      else if (!argv[i].startsWith("--") && argv[i] !== "-h") {
        own = argv.slice(0, i);
        pythonArgs = argv.slice(i);
        break;
      }
    }
  }
  // --check takes an optional value, which parseArgs cannot express
  let check: false | "stop" | "count" = false;
  own = own.filter((a) => {
    if (a !== "--check" && !a.startsWith("--check=")) return true;
    const v = a === "--check" ? "stop" : a.slice("--check=".length);
    if (v !== "stop" && v !== "count") {
      throw new UsageError(`${a}: use --check, --check=stop or --check=count`);
    }
    check = v;
    return false;
  });
  let values;
  try {
    ({ values } = parseArgs({
      args: normalizeTargetFlags(own, "python"),
      options: {
        target: { type: "string", default: "native" },
        "debug-hooks": { type: "string" },
        python: { type: "string" },
        layer: { type: "string", multiple: true, default: [] },
        variant: { type: "string", default: "release" },
        "print-env": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]} (arguments for Python go after --)`);
  }
  if (!(VARIANTS as readonly string[]).includes(values.variant!)) {
    throw new UsageError(`unknown variant '${values.variant}': use ${VARIANTS.join(", ")}`);
  }
  return {
    target: values.target!,
    debugHooks: parseDebugHooks(values["debug-hooks"]),
    check,
    python: values.python,
    layers: values.layer as string[],
    variant: values.variant as Variant,
    printEnv: values["print-env"]!,
    help: values.help!,
    pythonArgs,
  };
}

/** Runs the command; returns the exit status (a killing signal is re-raised on this process). */
export function main(argv: string[]): number {
  enterUserCwd(); // `deno task` and `bun run` start in the project folder; relative paths are the user's
  let spec, o;
  try {
    o = parsePythonArgs(argv);
    if (o.help) {
      console.log(USAGE);
      return 0;
    }
    spec = launchSpec({
      target: o.target,
      debugHooks: o.debugHooks,
      python: o.python,
      layers: o.layers,
      variant: o.variant,
      check: o.check ? checkLayerOptions({ mode: o.check, variant: o.variant }) : undefined,
    });
    // the user's layers must install something (the launcher refuses one that does not: exit 2)
    if (o.layers.length) spec.env.ALLOCSPEC_LAYERS_STRICT = "1";
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`python: ${e.message}`);
    return 2;
  }
  if (o.printEnv) {
    for (
      const k of Object.keys(spec.env).filter((k) => k.startsWith("ALLOCSPEC_") || k === "GLIBC_TUNABLES")
    ) {
      console.log(`${k}=${spec.env[k]}`);
    }
    console.log([spec.exe, ...spec.argvPrefix, ...o.pythonArgs].join(" "));
    return 0;
  }
  const r = spawnSync(spec.exe, [...spec.argvPrefix, ...o.pythonArgs], { env: spec.env, stdio: "inherit" });
  if (r.error) {
    console.error(`python: cannot run ${spec.exe}: ${r.error.message}`);
    return 2;
  }
  if (r.signal) process.kill(process.pid, r.signal);
  return exitStatusOf(r);
}

if ((import.meta as { main?: boolean }).main) process.exit(main(process.argv.slice(2)));
