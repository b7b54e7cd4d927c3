/**
 * The `ref` target: the TypeScript reference implementation (ref/mod.ts `createRef`), one fresh instance
 * per case. Both profiles, both API forms, pymalloc, the arena allocator, debug hooks with violations in
 * "throw" (in-process) and "abort" (death child) modes, the GIL flag. No real threads.
 *
 * @example
 * ```ts
 * import { refFactory } from "./ref.ts";
 * const a = refFactory(undefined, { abi: "shipped" });
 * const py = a.open("cpython");
 * py.PyMem_Free(py.PyMem_Malloc(8));
 * ```
 * @module
 */
import { type Adapter, type AdapterFactory, type Capability } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { createRef } from "../../ref/mod.ts";
import type { Pep445, Profile } from "../../ref/types.ts";

/** Every capability but "threads" (a JS allocator has no second thread to race with). */
export const REF_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  "api-shipped",
  "api-2013",
  "calloc",
  "pymalloc",
  "arena",
  "debug-hooks",
  "gil",
  "death",
]);

/**
 * Known gaps of ref (SKIP with the reason): none. A ref bug found by the suite is fixed in ref/, not listed
 * here (size_checks/ssize_max_request_returns_null was one, fixed in 11b47d6).
 */
export const REF_GAPS: Readonly<Record<string, string>> = {};

/** Builds a ref adapter whose instances come from `make` (mutants pass a wrapped createRef). */
export function refAdapter(
  label: string,
  make: (profile: Profile) => Pep445,
  gaps: Readonly<Record<string, string>> = REF_GAPS,
): Adapter {
  let current: Pep445 | undefined;
  return {
    label,
    capabilities: REF_CAPABILITIES,
    profiles: ["cpython", "pep445-2013"],
    violationModes: ["throw", "abort"],
    gaps,
    open(profile) {
      current = make(profile);
      return current;
    },
    close() {
      current?.close();
      current = undefined;
    },
  };
}

/** `--target ref` (no argument). */
export const refFactory: AdapterFactory = (arg) => {
  if (arg !== undefined && arg !== "") {
    throw new UsageError(`target ref takes no argument (got 'ref:${arg}')`);
  }
  return refAdapter("ref", (profile) => createRef({ profile, violation: "throw" }));
};
