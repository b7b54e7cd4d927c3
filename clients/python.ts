/**
 * `deno task python` / `bun run python`: the machine's real CPython on the allocator under test.
 *
 *     npx deno task python --allocator libc:libjemalloc.so.2 --debug-hooks -- -m json.tool x.json
 *     npx bun run python --allocator native:pep445 -- -c "import sys; print(sys.executable)"
 *
 * Options (before `--`; everything after `--` goes to Python unchanged):
 * - `--allocator SPEC`: `native[:cpython310|pep445]` (default `native`), `cpython[:LIBPYTHON]`,
 *   `vtable:PATH[:SYMBOL]`, `libc:PATH[:PREFIX]` (clients/launcher.ts)
 * - `--debug-hooks[=cpython|native]`: the PEP 445 debug hooks over it; bare = CPython's own
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
 * const status = main(["--allocator", "native", "--", "-c", "print(1)"]);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { constants } from "node:os";
import { parseArgs } from "node:util";
import { UsageError } from "../conformance/adapter.ts";
import type { Variant } from "../native/build.ts";
import { type CheckOptions, type DebugHooks, launchSpec } from "./launcher.ts";

const USAGE =
  "usage: python [--allocator SPEC] [--debug-hooks[=cpython|native]] [--check[=stop|count]] [--python PATH] [--layer PATH]... [--variant V] [--print-env] -- PYTHON_ARGS...";

/** Splits argv at the first `--` and parses the launcher's options; throws UsageError. */
export function parsePythonArgs(argv: string[]): {
  allocator: string;
  debugHooks: DebugHooks;
  check: false | CheckOptions;
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
    const WITH_VALUE = ["--allocator", "--python", "--layer", "--variant"];
    for (let i = 0; i < argv.length; i++) {
      if (WITH_VALUE.includes(argv[i])) i++;
      else if (!argv[i].startsWith("--") && argv[i] !== "-h") {
        own = argv.slice(0, i);
        pythonArgs = argv.slice(i);
        break;
      }
    }
  }
  let debugHooks: DebugHooks = "";
  let check: false | CheckOptions = false;
  const rest: string[] = [];
  for (const a of own) {
    if (a === "--check") check = {};
    else if (a.startsWith("--check=")) {
      const v = a.slice("--check=".length);
      if (v !== "stop" && v !== "count") {
        throw new UsageError(`--check=${v}: use --check, --check=stop or --check=count`);
      }
      check = { mode: v };
    } else if (a === "--debug-hooks") debugHooks = "cpython";
    else if (a.startsWith("--debug-hooks=")) {
      const v = a.slice("--debug-hooks=".length);
      if (v !== "cpython" && v !== "native") {
        throw new UsageError(`--debug-hooks=${v}: use cpython or native`);
      }
      debugHooks = v;
    } else rest.push(a);
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        allocator: { type: "string", default: "native" },
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
  if (!["release", "debug", "asan"].includes(values.variant!)) {
    throw new UsageError(`unknown variant '${values.variant}': use release, debug or asan`);
  }
  return {
    allocator: values.allocator!,
    debugHooks,
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
  // `deno task` and `bun run` start in the project folder; relative paths are the user's (INIT_CWD)
  const init = process.env.INIT_CWD;
  if (init && init !== process.cwd()) {
    try {
      process.chdir(init);
    } catch { /* keep the project folder */ }
  }
  let spec, o;
  try {
    o = parsePythonArgs(argv);
    if (o.help) {
      console.log(USAGE);
      return 0;
    }
    spec = launchSpec({
      allocator: o.allocator,
      debugHooks: o.debugHooks,
      python: o.python,
      layers: o.layers,
      variant: o.variant,
      check: o.check,
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
  if (r.signal) {
    process.kill(process.pid, r.signal);
    return 128 + ((constants.signals as Record<string, number>)[r.signal] ?? 0);
  }
  return r.status ?? 1;
}

if ((import.meta as { main?: boolean }).main) process.exit(main(process.argv.slice(2)));
