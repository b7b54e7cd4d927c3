/**
 * The one registry of target kinds and the one parser of `--target KIND[:ARG]`. Each kind is one small
 * descriptor (kind.ts `TargetKind`): its argument, its conformance adapter (a module loaded lazily by
 * conformance/adapters/mod.ts), its launcher form for real programs and its benchmark replay. Every
 * command (conformance, libs, python, clients, faults, leaks, bench) resolves targets here.
 *
 * | kind | argument | conformance | real programs (launcher) | bench replay |
 * | --- | --- | --- | --- | --- |
 * | `ref` | none | the TypeScript reference | - | - |
 * | `native` | variant or geometry | liballocspec | `native:GEOMETRY` | native's entry points |
 * | `cpython` | libpython .so or python | a real libpython | CPython's own (baseline) | libpython's entry points |
 * | `vtable` | `PATH[:SYMBOL][@chain]` | a PyMemAllocatorEx symbol | `vtable:LIB:SYMBOL` | the struct |
 * | `libc` | `PATH[:PREFIX]` | a malloc family | `libc:LIB:PREFIX` | the four functions |
 * | `mutant` | fixture name | a broken ref | - | - |
 * | `hook` | `LIB[@native\|@cpython]` | a PEP 445 hook | - | - |
 * | `tracemalloc` | frames | CPython's tracemalloc hook | - | - |
 *
 * To add a kind: one descriptor in {@link KINDS} (its argument logic in its own file when it has any),
 * plus a form in targets/launcher/forms.h and its C only when real programs need a new way to install it.
 *
 * @example
 * ```ts
 * import { parseTarget, targetKind } from "./kinds.ts";
 * const { kind, arg } = parseTarget("libc:libmimalloc.so.2:mi_"); // "libc", "libmimalloc.so.2:mi_"
 * console.log(targetKind(kind).summary, arg);
 * ```
 * @module
 */
import { UsageError } from "../core/usage.ts";
import { findPython, resolveLibpython } from "../core/python.ts";
import type { BenchForm, LaunchForm, TargetKind } from "./kind.ts";
import { parseLibcArg, resolveLibcTarget } from "./libc.ts";
import { GEOMETRIES, parseNativeArg } from "./native.ts";
import { parseVtableArg, resolveVtableTarget } from "./vtable.ts";

/** The kinds, in the order help texts list them. */
const KINDS: readonly TargetKind[] = [
  {
    name: "ref",
    arg: "none",
    summary: "the TypeScript reference implementation (ref/)",
    example: "ref",
    adapter: { module: "conformance/adapters/ref.ts", export: "refFactory" },
  },
  {
    name: "native",
    arg: "optional build variant (release, debug, asan) or pymalloc geometry (cpython310, pep445)",
    summary: "this project's C library, liballocspec (native/)",
    example: "native",
    adapter: { module: "conformance/adapters/native.ts", export: "nativeFactory" },
    launch(arg) {
      const { variant, geometry } = parseNativeArg(arg);
      return { form: "native", fields: [geometry ?? GEOMETRIES[0]], ...(variant ? { variant } : {}) };
    },
    bench(arg) {
      if (arg) throw new UsageError(`bench replays native's release build as it is: use --target native`);
      return { replay: "native" };
    },
  },
  {
    name: "cpython",
    arg: "optional libpython3.X.so or python executable (default: python3 on PATH)",
    summary: "a real CPython's allocators (libpython)",
    example: "cpython",
    adapter: { module: "conformance/adapters/cpython.ts", export: "cpythonFactory" },
    launch: (arg) => ({ form: "cpython", fields: [], ...(arg ? { libpython: arg } : {}) }),
    bench: (arg) => ({
      replay: "entries",
      lib: resolveLibpython(arg || findPython(), { who: "cpython target" }),
    }),
  },
  {
    name: "vtable",
    arg:
      "PATH[:SYMBOL][@chain]: a library exporting a PyMemAllocatorEx data symbol (default pep445_allocator)",
    summary: "a third-party allocator as a PEP 445 vtable",
    example: "vtable:./libmine.so",
    adapter: { module: "conformance/adapters/vtable.ts", export: "vtableFactory" },
    launch(arg) {
      const t = resolveVtableTarget(arg);
      if (t.layer) {
        throw new UsageError(`vtable target: layer '@${t.layer}' is not available for real programs`);
      }
      return { form: "vtable", fields: [t.lib, t.symbol], ...(t.env ? { env: t.env } : {}) };
    },
    bench(arg) {
      const t = parseVtableArg(arg);
      if (t.layer) {
        throw new UsageError(`vtable target: layer '@${t.layer}' is not available in the benchmarks`);
      }
      return { replay: "vtable", lib: t.lib, symbol: t.symbol };
    },
  },
  {
    name: "libc",
    arg:
      "PATH[:PREFIX]: a malloc family, PREFIX + malloc, calloc, realloc, free (a soname is found by the loader)",
    summary: "a malloc-family library (glibc, jemalloc, mimalloc mi_, tcmalloc tc_)",
    example: "libc:libjemalloc.so.2",
    adapter: { module: "conformance/adapters/libc.ts", export: "libcFactory" },
    launch(arg) {
      const t = resolveLibcTarget(arg);
      return { form: "libc", fields: [t.lib, t.prefix], ...(t.env ? { env: t.env } : {}) };
    },
    bench(arg) {
      const t = parseLibcArg(arg);
      return { replay: "libc", lib: t.lib, prefix: t.prefix };
    },
  },
  {
    name: "mutant",
    arg: "a fixture name (conformance/fixtures/ts)",
    summary: "a deliberately broken reference (proves the cases can fail)",
    example: "mutant:realloc_zero_frees",
    adapter: { module: "conformance/fixtures/ts/mod.ts", export: "mutantFactory" },
  },
  {
    name: "hook",
    arg: "LIB[@native|@cpython]: a PEP 445 hook library (pep445_hook_install) over an implementation",
    summary: "an allocator hook (a profiler's, a tracer's)",
    example: "hook:./libmyhook.so",
    adapter: { module: "conformance/adapters/hook.ts", export: "hookFactory" },
  },
  {
    name: "tracemalloc",
    arg: "optional frame count (1..65535, default 1)",
    summary: "CPython's own hook, tracemalloc",
    example: "tracemalloc",
    adapter: { module: "conformance/adapters/tracemalloc.ts", export: "tracemallocFactory" },
  },
];

/** Every kind by name. */
export const TARGET_KINDS: Readonly<Record<string, TargetKind>> = Object.fromEntries(
  KINDS.map((k) => [k.name, k]),
);

/** Splits `kind:arg` at the first colon (no check of the kind: {@link targetKind}). */
export function parseTarget(spec: string): { kind: string; arg: string | undefined } {
  const i = spec.indexOf(":");
  return i < 0 ? { kind: spec, arg: undefined } : { kind: spec.slice(0, i), arg: spec.slice(i + 1) };
}

/** The descriptor of a kind, or a UsageError naming the kinds there are. */
export function targetKind(kind: string): TargetKind {
  const k = TARGET_KINDS[kind];
  if (!k) {
    throw new UsageError(
      `unknown target kind '${kind}': use one of ${
        Object.keys(TARGET_KINDS).join(", ")
      } (e.g. --target vtable:./libmine.so)`,
    );
  }
  return k;
}

/** The kinds real programs can run on. */
export function launchableKinds(): string[] {
  return KINDS.filter((k) => k.launch).map((k) => k.name);
}

/** The launcher form of a target (resolved and checked; one-line UsageErrors). */
export function launchForm(spec: string): LaunchForm {
  const { kind, arg } = parseTarget(spec);
  const k = targetKind(kind);
  if (!k.launch) {
    throw new UsageError(
      `cannot run CPython on target '${spec}': use ${
        launchableKinds().join(", ")
      } (e.g. --target libc:libjemalloc.so.2)`,
    );
  }
  return k.launch(arg);
}

/** The benchmark replay form of a target (no probing; one-line UsageErrors). */
export function benchForm(spec: string): BenchForm {
  const { kind, arg } = parseTarget(spec);
  const k = targetKind(kind);
  if (!k.bench) {
    throw new UsageError(
      `the benchmarks cannot replay on target '${spec}': use ${
        KINDS.filter((x) => x.bench).map((x) => x.name).join(", ")
      }`,
    );
  }
  return k.bench(arg);
}
