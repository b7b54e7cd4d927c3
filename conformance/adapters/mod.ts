/**
 * The target registry: `--target kind[:arg]` -> {@link Adapter}.
 *
 * | kind | file | factory export | arg |
 * | --- | --- | --- | --- |
 * | `ref` | adapters/ref.ts | `refFactory` | none |
 * | `native` | adapters/native.ts | `nativeFactory` | optional variant (release, debug, asan) |
 * | `cpython` | adapters/cpython.ts | `cpythonFactory` | optional path of libpython |
 * | `vtable` | adapters/vtable.ts | `vtableFactory` | path of a .so exporting `pep445_allocator` |
 * | `libc` | adapters/libc.ts | `libcFactory` | `lib.so[:prefix]` |
 * | `mutant` | fixtures/ts/mod.ts | `mutantFactory` | the fixture name (deliberately broken ref) |
 * | `hook` | adapters/hook.ts | `hookFactory` | `lib.so[@native\|@cpython]`: a PEP 445 hook over an implementation |
 * | `tracemalloc` | adapters/tracemalloc.ts | `tracemallocFactory` | optional frame count: CPython's own hook |
 *
 * Target files are imported lazily, so a build without one of them still runs the others; asking for a
 * missing kind is a usage error: "target kind X is not available in this build".
 *
 * @example
 * ```ts
 * import { loadAdapter } from "./mod.ts";
 * const a = await loadAdapter("ref", { abi: "shipped" });
 * const py = a.open("cpython");
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { type Adapter, type AdapterFactory, type AdapterOptions } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";

/** Target kinds and where their factories live (relative to this file). */
export const TARGET_KINDS: Readonly<Record<string, { file: string; exportName: string }>> = {
  ref: { file: "./ref.ts", exportName: "refFactory" },
  native: { file: "./native.ts", exportName: "nativeFactory" },
  cpython: { file: "./cpython.ts", exportName: "cpythonFactory" },
  vtable: { file: "./vtable.ts", exportName: "vtableFactory" },
  libc: { file: "./libc.ts", exportName: "libcFactory" },
  mutant: { file: "../fixtures/ts/mod.ts", exportName: "mutantFactory" },
  hook: { file: "./hook.ts", exportName: "hookFactory" },
  tracemalloc: { file: "./tracemalloc.ts", exportName: "tracemallocFactory" },
};

/** Splits `kind:arg` at the first colon. */
export function parseTarget(spec: string): { kind: string; arg: string | undefined } {
  const i = spec.indexOf(":");
  return i < 0 ? { kind: spec, arg: undefined } : { kind: spec.slice(0, i), arg: spec.slice(i + 1) };
}

/** The factory for a kind, or a UsageError naming the problem. */
export async function loadFactory(kind: string): Promise<AdapterFactory> {
  const entry = TARGET_KINDS[kind];
  if (!entry) {
    throw new UsageError(
      `unknown target kind '${kind}': use one of ${
        Object.keys(TARGET_KINDS).join(", ")
      } (e.g. --target vtable:./libmine.so)`,
    );
  }
  const url = new URL(entry.file, import.meta.url);
  if (!existsSync(url)) throw new UsageError(`target kind ${kind} is not available in this build`);
  const mod = await import(url.href) as Record<string, unknown>;
  const f = mod[entry.exportName] ?? mod.default;
  if (typeof f !== "function") {
    throw new UsageError(
      `target kind ${kind} is not available in this build (${entry.file} exports no ${entry.exportName})`,
    );
  }
  return f as AdapterFactory;
}

/**
 * Builds the adapter for `spec`. Errors from the factory that are not already UsageErrors are turned into
 * one-line UsageErrors naming the target (a missing library or symbol is a usage problem, exit 2).
 */
export async function loadAdapter(spec: string, opts: AdapterOptions): Promise<Adapter> {
  const { kind, arg } = parseTarget(spec);
  const factory = await loadFactory(kind);
  try {
    return factory(arg, opts);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(`target ${spec}: ${msg.split("\n")[0]}`);
  }
}
