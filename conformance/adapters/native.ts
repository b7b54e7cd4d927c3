/**
 * The `native[:VARIANT]` conformance target: this project's C library (native/, contracts §3) through
 * `openNative` (native/mod.ts), in both profiles and both runtimes.
 *
 * - VARIANT: release (default), debug, or asan (ASan+UBSan; the worker gets `LD_PRELOAD` of the
 *   compiler's libasan so the runtime can load it: core/cbuild.ts `sanitizerEnv`).
 * - One library instance per worker process: the first `open` calls openNative, later ones
 *   `reset({ profile })` (allocspec_reset: default allocators, debug hooks off, GIL held, arenas
 *   released). The instance handed to a case ignores `close()` (the runner closes after every case);
 *   the adapter's own `close()` takes the GIL back.
 * - Violations: mode "throw" in-process (the C library records the violation and the loader throws
 *   PyMemDebugError), "abort" in death children (CPython's text on stderr, then abort()).
 * - stressRaw: allocspec_stress_raw (8 threads handing RAW blocks to each other, content hashes).
 *
 * @example
 * ```ts
 * import { nativeFactory } from "./native.ts";
 * const a = nativeFactory(undefined, { abi: "shipped" });
 * const py = a.open("cpython");
 * py.PyMem_Free(py.PyMem_Malloc(16));
 * ```
 * @module
 */
import { type Adapter, type AdapterFactory, CAPABILITIES, type Capability } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { cErrno } from "../errno.ts";
import { sanitizerEnv, type Variant } from "../../core/cbuild.ts";
import { parseNativeArg } from "../../targets/native.ts";
import { buildNative, libraryPath, nativeIsFresh, type NativePep445, openNative } from "../../native/mod.ts";
import type { Pep445, Profile } from "../../ref/types.ts";

/** The build variants of native/ (contracts §3; core/cbuild.ts). */
export type NativeVariant = Variant;

/** Every allocator capability: the native library implements the whole surface (it is no hook). */
export const NATIVE_CAPABILITIES: readonly Capability[] = CAPABILITIES.filter((c) => c !== "hook");

/**
 * Keeps one native instance per process and hands it to cases as a view whose `close()` does nothing
 * (the next `open` resets it instead). Shared by the native, vtable and libc targets.
 */
export class NativeSession {
  #inst: NativePep445 | undefined;
  #view: Pep445 | undefined;
  constructor(readonly variant: NativeVariant = "release") {}
  /**
   * Builds the library this session loads when it is missing or stale, in the CLI before the first case
   * (Adapter.prebuild): a worker then only loads it, and no case's budget pays for a compiler. Returns
   * what was built, or undefined when it was fresh.
   */
  prebuild(announce?: (what: string) => void): string | undefined {
    if (nativeIsFresh(this.variant)) return undefined;
    announce?.(libraryPath(this.variant));
    return buildNative({ variant: this.variant });
  }
  /** The instance, reset to a fresh state for `profile`. */
  open(profile: Profile): NativePep445 {
    if (!this.#inst) {
      this.#inst = openNative({ variant: this.variant, profile });
      this.#view = new Proxy(this.#inst, {
        get(t, k, r) {
          if (k === "close") return () => {};
          const v = Reflect.get(t, k, r);
          return typeof v === "function" ? v.bind(t) : v;
        },
      });
    } else {
      this.#inst.reset({ profile });
    }
    this.#inst.setViolationMode("throw");
    return this.#inst;
  }
  /** What cases get: the instance with a no-op close(). */
  get view(): Pep445 {
    if (!this.#view) throw new Error("NativeSession.view before open()");
    return this.#view;
  }
  /** The live instance (after open). */
  get instance(): NativePep445 {
    if (!this.#inst) throw new Error("NativeSession.instance before open()");
    return this.#inst;
  }
  /** After a case: the GIL back (a case may leave it released). */
  end(): void {
    try {
      this.#inst?.setGilHeld(true);
    } catch { /* nothing to restore */ }
  }
}

/** Parses the native target argument (targets/native.ts): a build variant; a geometry is for real programs. */
export function parseVariant(arg: string | undefined): NativeVariant {
  const { variant, geometry } = parseNativeArg(arg);
  if (geometry) {
    throw new UsageError(
      `native target: the geometry '${geometry}' is for real programs (python, clients, faults, leaks); the suite sets the geometry per profile: use native, native:release, native:debug or native:asan`,
    );
  }
  return variant ?? "release";
}

/** Builds the `native` adapter. */
export const nativeFactory: AdapterFactory = (arg) => {
  const variant = parseVariant(arg);
  const env = variant === "asan" ? sanitizerEnv() : undefined;
  const session = new NativeSession(variant);
  const adapter: Adapter = {
    label: arg ? `native:${variant}` : "native",
    capabilities: new Set(NATIVE_CAPABILITIES),
    profiles: ["cpython", "pep445-2013"],
    open(profile) {
      session.open(profile);
      return session.view;
    },
    close: () => session.end(),
    prebuild: (announce) => session.prebuild(announce),
    childEnv: env ? () => env : undefined,
    stressRaw: (threads, rounds, seed) => session.instance.stressRaw(threads, rounds, seed),
    get errno() {
      return cErrno();
    },
  };
  return adapter;
};
