/**
 * The `vtable:PATH[:SYMBOL][@layer]` target's argument: a shared library exporting a data symbol (default
 * `pep445_allocator`) holding a `PyMemAllocatorEx` {ctx, malloc, calloc, realloc, free} (CPython 3.5+ ABI),
 * or with `--abi 2013` the draft's `PyMemAllocators` {ctx, malloc, realloc, free} (PEP 445 text, "API
 * changes"). `@chain` forces the native C pass-through hook chain over it (conformance only).
 *
 * Resolution probes the library in a child with a timeout (probe.ts) and checks the struct: every
 * function field non-NULL and pointing into a loaded object (a FUNCTION symbol reads as machine code whose
 * "pointers" point nowhere). One-line UsageErrors otherwise.
 *
 * @example
 * ```ts
 * import { parseVtableArg } from "./vtable.ts";
 * parseVtableArg("libmine.so.1:my_allocator"); // { lib: "libmine.so.1", symbol: "my_allocator", layer: undefined }
 * ```
 * @module
 */
import { STATIC_TLS_ENV } from "../core/env.ts";
import { UsageError } from "../core/usage.ts";
import { resolveLibrary, splitPathArg } from "./library.ts";
import { probeLibrary, type ProbeReport } from "./probe.ts";

/** The default data symbol. */
export const DEFAULT_SYMBOL = "pep445_allocator";
/** Layers that can be forced over the vtable with `@layer`. */
export const LAYERS = ["chain"] as const;
export type Layer = typeof LAYERS[number];

/** Field names of the shipped PyMemAllocatorEx and of the 2013 draft's PyMemAllocators. */
export const FIELDS_SHIPPED = ["ctx", "malloc", "calloc", "realloc", "free"] as const;
export const FIELDS_2013 = ["ctx", "malloc", "realloc", "free"] as const;

/**
 * Why the probed struct cannot be an allocator (undefined: it can): every function field must be
 * non-NULL and point into a loaded object.
 */
export function checkStruct(r: ProbeReport, fields: readonly string[]): string | undefined {
  if (!r.struct) return "its fields could not be read";
  for (let k = 1; k < fields.length; k++) {
    const v = r.struct.fields[k];
    if (v === 0) return `its ${fields[k]} field is NULL`;
    if (r.struct.objects[k] === null) {
      return `its ${fields[k]} field (0x${
        v.toString(16)
      }) points into no loaded library: is ${"the symbol"} a function rather than a struct?`;
    }
  }
  return undefined;
}

/** Parses `PATH[:SYMBOL][@layer]` (no probing). */
export function parseVtableArg(
  arg: string | undefined,
): { lib: string; symbol: string; layer: Layer | undefined } {
  if (!arg) throw new UsageError("vtable target needs a library: --target vtable:./libmine.so[:SYMBOL]");
  let layer: Layer | undefined;
  const at = arg.lastIndexOf("@");
  if (at > 0 && !arg.slice(at).includes("/")) {
    const l = arg.slice(at + 1);
    if (!(LAYERS as readonly string[]).includes(l)) {
      throw new UsageError(
        `vtable target: unknown layer '@${l}': use ${LAYERS.map((x) => "@" + x).join(", ")}`,
      );
    }
    layer = l as Layer;
    arg = arg.slice(0, at);
  }
  const { path, tail } = splitPathArg(arg, /^[A-Za-z_][A-Za-z0-9_]*$/);
  return { lib: resolveLibrary("vtable", path), symbol: tail ?? DEFAULT_SYMBOL, layer };
}

/**
 * Parses `PATH[:SYMBOL][@layer]` and, unless `opts.probed` (inside a worker), probes the library in a
 * child (probe.ts) and checks the struct: one-line UsageErrors. `env` is what the library needs to load.
 */
export function resolveVtableTarget(
  arg: string | undefined,
  abi: "shipped" | "2013" = "shipped",
  opts: { probed?: boolean; probeTimeoutMs?: number } = {},
): { lib: string; symbol: string; layer: Layer | undefined; env: Record<string, string> | undefined } {
  const { lib, symbol, layer } = parseVtableArg(arg);
  const struct = abi === "2013" ? "PyMemAllocators" : "PyMemAllocatorEx";
  let env: Record<string, string> | undefined;
  if (!opts.probed) {
    const fieldNames = abi === "2013" ? FIELDS_2013 : FIELDS_SHIPPED;
    const { report, needsTls } = probeLibrary("vtable", lib, {
      names: [symbol],
      struct: { symbol, fields: fieldNames.length },
    }, opts.probeTimeoutMs);
    if (report.addresses[0] === 0) {
      throw new UsageError(
        `vtable target: ${lib} does not export ${symbol} (a data symbol holding a ${struct})`,
      );
    }
    const why = checkStruct(report, fieldNames);
    if (why) {
      throw new UsageError(
        `vtable target: ${symbol} in ${lib} is not a usable ${struct}: ${why} (export a struct: ${struct} ${symbol} = {ctx, ${
          fieldNames.slice(1).map((f) => `my_${f}`).join(", ")
        }}${abi === "2013" ? "" : "; a 2013-layout struct needs --abi 2013"})`,
      );
    }
    env = needsTls ? { ...STATIC_TLS_ENV } : undefined;
  }
  return { lib, symbol, layer, env };
}
