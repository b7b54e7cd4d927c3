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
import { cErrno } from "../errno.ts";
import { NativeSession } from "./native.ts";
import { VTABLE_CAPABILITIES } from "./libc.ts";
import { resolveVtableTarget } from "../../targets/vtable.ts";
import { symbolAddress } from "../../native/mod.ts";
import type { Profile, PyMemAllocators } from "../../ref/types.ts";

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
    prebuild: (announce) => session.prebuild(announce),
    keepsState: true,
    childEnv: env ? () => env : undefined,
    stressRaw: (threads, rounds, seed) => session.instance.stressRaw(threads, rounds, seed),
    get errno() {
      return cErrno();
    },
  };
};
