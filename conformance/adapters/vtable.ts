/**
 * The `vtable:PATH[:SYMBOL]` conformance target: a third-party allocator in a shared library that
 * exports a data symbol (default `pep445_allocator`) holding a `PyMemAllocatorEx` {ctx, malloc, calloc,
 * realloc, free} (CPython 3.5+ ABI), or with `--abi 2013` the draft's `PyMemAllocators` {ctx, malloc,
 * realloc, free} (PEP 445 text, "API changes").
 *
 * The struct is wrapped by `allocatorFromStruct` (its raw C pointers, no JS on the path) and installed in
 * all three domains of the native library (`PyMem_SetAllocator`, or `PyMem_SetRawAllocators` /
 * `PyMem_SetAllocators` / `PyObject_SetAllocators` for the 2013 ABI), so every case checks the
 * allocator's own semantics through the entry points. Layered cases come for free: a case that calls
 * `PyMem_SetupDebugHooks()` gets the native debug hooks over the vtable (the PEP's stated usage), a
 * case that installs hooks gets them over the vtable, and `stressRaw` runs 8 native threads on it
 * (RAW must be thread-safe). A layer can also be forced for every case with a suffix on the target:
 *
 * - `vtable:PATH[:SYMBOL]@chain`: the native C pass-through hook chain (depth 3) over the vtable in all
 *   domains (PEP 445 use case 3; it must change nothing the cases can see).
 *
 * @example
 * ```ts
 * import { vtableFactory } from "./vtable.ts";
 * const a = vtableFactory("./libmine.so", { abi: "shipped" });
 * const py = a.open("cpython");
 * py.PyMem_Free(py.PyMem_Malloc(16)); // through libmine.so's pep445_allocator
 * ```
 * @module
 */
import { type AdapterFactory } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { cErrno } from "../errno.ts";
import { NativeSession } from "./native.ts";
import { resolveLibrary, splitPathArg, VTABLE_CAPABILITIES } from "./libc.ts";
import { probeLibrary, type ProbeReport } from "./probe.ts";
import { STATIC_TLS_ENV } from "../../core/env.ts";
import { symbolAddress } from "../../native/mod.ts";
import type { Profile, PyMemAllocators } from "../../ref/types.ts";

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
 * non-NULL and point into a loaded object. A symbol that is a FUNCTION reads as machine code, whose
 * "pointers" point nowhere.
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

/** Parses `PATH[:SYMBOL][@layer]`. */
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

/** Builds the `vtable` adapter. */
export const vtableFactory: AdapterFactory = (arg, opts) => {
  const { lib, symbol, layer, env } = resolveVtableTarget(arg, opts.abi, opts);
  const session = new NativeSession();
  return {
    label: `vtable:${arg}${opts.abi === "2013" ? " (abi 2013)" : ""}`,
    // A 2013-ABI allocator has no calloc: the *Calloc entry points fall back to malloc + zeroing, and the
    // cases about the allocator's own calloc are UNSUPPORTED (not FAILs of the allocator).
    capabilities: new Set(
      opts.abi === "2013" ? VTABLE_CAPABILITIES.filter((c) => c !== "calloc") : VTABLE_CAPABILITIES,
    ),
    profiles: ["cpython", "pep445-2013"] as readonly Profile[],
    open(profile) {
      const py = session.open(profile);
      const addr = symbolAddress(lib, symbol);
      if (opts.abi === "2013") {
        const a = py.allocatorFromStruct(addr, "2013");
        const old: PyMemAllocators = { ctx: a.ctx, malloc: a.malloc, realloc: a.realloc, free: a.free };
        py.PyMem_SetRawAllocators(old);
        py.PyMem_SetAllocators(old);
        py.PyObject_SetAllocators(old);
      } else {
        const a = py.allocatorFromStruct(addr);
        for (const d of [0, 1, 2]) py.PyMem_SetAllocator(d, a);
      }
      if (layer === "chain") py.passthroughInstall(3);
      return session.view;
    },
    close: () => session.end(),
    keepsState: true,
    childEnv: env ? () => env : undefined,
    stressRaw: (threads, rounds, seed) => session.instance.stressRaw(threads, rounds, seed),
    cEntryPoints: () => session.cEntryPoints(),
    get errno() {
      return cErrno();
    },
  };
};
