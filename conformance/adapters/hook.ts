/**
 * The `hook:PATH[@native|@cpython]` conformance target: a PEP 445 hook (a profiler, a tracer) in a
 * shared library, judged OVER an implementation (PEP 445 "Use cases", 3: "Setup Allocator Hooks").
 *
 * - The library is written the way real hooks are: it reaches `PyMem_GetAllocator`/`PyMem_SetAllocator`
 *   by symbol name (undefined symbols or `dlsym(RTLD_DEFAULT, ...)`), so the base implementation is
 *   given global scope first (hook_dl.ts). It installs itself from an exported
 *   `int pep445_hook_install(void)` (0 = success; called once the allocators below are in place) or from
 *   a load-time constructor (as LD_PRELOAD profilers do): both work (the launcher's layer contract,
 *   /work/notes/launcher-contract.md).
 * - `@native` (default): liballocspec.so below, reset before every case; `@cpython`: the real libpython
 *   (found as for the `cpython` target), its own allocators below. In both, a recorder and a guard sit
 *   between the hook and the allocator below (hook_below.ts) so the hook cases can fail chosen calls and
 *   see what reaches the allocator below; the allocator cases run through the hook unchanged
 *   (transparency), the debug-hook cases set CPython's/native's debug hooks up over it.
 * - Threads (`@native`): the RAW stress runs with the hook directly over the native C allocator.
 * - Checked before anything runs, in a child process (a hook that crashes its process must not take the
 *   CLI with it): the library loads, the API is reachable, install returns 0, and at least one domain's
 *   allocator changed. Any failure is a UsageError: one line, exit 2.
 *
 * @example
 * ```ts
 * import { hookFactory } from "./hook.ts";
 * // const a = hookFactory("./libmyhook.so@cpython", { abi: "shipped" });
 * // const py = a.open("cpython"); py.PyMem_Free(py.PyMem_Malloc(16)); a.close?.();
 * ```
 * @module
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Adapter, type AdapterFactory, type Capability } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { cErrno } from "../errno.ts";
import { cpythonFactory } from "./cpython.ts";
import { runScript } from "../../core/child.ts";
import { STATIC_TLS_ENV } from "../../core/env.ts";
import { resolveLibpython } from "../../core/python.ts";
import { type HookBase, parseHookArg } from "../../targets/hook.ts";
import { openEmbedding } from "./cpython_embed.ts";
import { HookLibrary } from "./hook_dl.ts";
import { HookSession, hookUnderTest, type Installer } from "./hook_session.ts";
import { NATIVE_CAPABILITIES, NativeSession } from "./native.ts";
import { ffi, symbolAddress } from "../../native/mod.ts";
import type { Profile } from "../../ref/types.ts";

/** Set in workers (by childEnv) once the CLI's probe child accepted the hook: no second probe. */
export const PROBED_ENV = "ALLOCSPEC_HOOK_PROBED";

/**
 * Capabilities through a hook: the base's, minus what observes the allocator below's own internals
 * (pymalloc pools and thresholds, arenas: a header-prefixing hook shifts every size by its header, so
 * "512 bytes is served by pymalloc" is no longer a statement about the entry point), plus "hook".
 */
export function hookCapabilities(base: readonly Capability[]): Capability[] {
  return [...base.filter((c) => c !== "pymalloc" && c !== "arena"), "hook"];
}

/** Installs a hook library (hook_dl.ts): install status non-zero is an Error. */
export function libraryInstaller(lib: string): Installer {
  const h = new HookLibrary(lib);
  return {
    label: lib,
    install() {
      const rc = h.install();
      if (rc !== 0) throw new Error(`pep445_hook_install() of ${lib} returned ${rc} (0 = success)`);
    },
  };
}

/** Builds the adapter of a hook over a base (shared with the tracemalloc target). */
export function hookAdapter(
  label: string,
  installer: Installer,
  base: HookBase,
  libpython?: string,
  gaps: Readonly<Record<string, string>> = {},
): Adapter {
  // constructor hooks load a fresh copy per case: each copy's initial-exec TLS (Scalene: 92 bytes) comes
  // from glibc's static TLS surplus, 512 bytes by default (core/env.ts: the one tunables policy)
  const probed = { [PROBED_ENV]: "1", ...STATIC_TLS_ENV };
  if (base === "native") {
    const session = new NativeSession();
    let gil: (() => number) | undefined;
    let last: Profile = "cpython";
    const hs = new HookSession(installer, {
      path: () => session.instance.libPath,
      open: (p) => (session.open(p), session.view),
      gilCheck: () => {
        gil ??= ffi.fnPointer(symbolAddress(session.instance.libPath, "allocspec_gil_held"), {
          params: [],
          result: "i32",
        }) as () => number;
        return gil();
      },
    });
    return {
      label,
      capabilities: new Set(hookCapabilities(NATIVE_CAPABILITIES)),
      profiles: ["cpython", "pep445-2013"],
      open(profile) {
        last = profile;
        return hs.open(profile);
      },
      close() {
        session.end();
      },
      childEnv: () => probed,
      isolated: true,
      // the RAW stress needs C all the way down: the hook directly over native's own allocators
      stressRaw(threads, rounds, seed) {
        session.open(last);
        const { hooked } = hs.installOver(session.view);
        if (!hooked.has("RAW")) throw new Error(`${label} does not hook RAW: nothing to stress through it`);
        return session.instance.stressRaw(threads, rounds, seed);
      },
      get errno() {
        return cErrno();
      },
    };
  }
  const path = libpython ?? resolveLibpython(undefined, { who: "cpython target" });
  const cp = cpythonFactory(path, { abi: "shipped" });
  let emb: ReturnType<typeof openEmbedding> | undefined;
  let current: ReturnType<typeof cp.open> | undefined;
  const hs = new HookSession(installer, {
    path: () => path,
    open: (p) => cp.open(p),
    gilCheck: () => (emb ??= openEmbedding(path)).gilCheck(),
  });
  return {
    label,
    capabilities: new Set(hookCapabilities([...cp.capabilities])),
    profiles: ["cpython"],
    gaps: { ...cp.gaps, ...gaps },
    violationModes: cp.violationModes,
    open: (profile) => (current = hs.open(profile)),
    close() {
      if (current) {
        hookUnderTest(current)?.relax();
        installer.uninstall?.(current);
      }
      cp.close?.();
    },
    childEnv: (caseId) => ({ ...cp.childEnv?.(caseId), ...probed }),
    isolated: true,
    get errno() {
      return cErrno();
    },
  };
}

/** What the probe child (hook_probe.ts) reports on its {@link PROBE_MARK} line. */
export interface ProbeReport {
  hooked?: string[];
  error?: string;
}
/** Prefix of the probe child's report line. */
export const PROBE_MARK = "@@hook-probe@@ ";

/**
 * Installs the target once in a child process (same runtime) and reports the hooked domains, or the
 * reason it cannot be installed as a UsageError naming the target.
 */
export function probeInChild(spec: string, env: Record<string, string> = {}): string[] {
  const self = fileURLToPath(new URL("./hook_probe.ts", import.meta.url));
  const r = runScript(self, ["--probe", spec], { env: { ...env, [PROBED_ENV]: "1" }, timeoutMs: 60_000 });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith(PROBE_MARK));
  const rep: ProbeReport | undefined = line ? JSON.parse(line.slice(PROBE_MARK.length)) : undefined;
  if (rep?.hooked) return rep.hooked;
  const why = rep?.error ??
    (r.signal
      ? `the process died by ${r.signal} while loading/installing it`
      : (r.stderr || `exit ${r.status}`).trim().split("\n").find((l) => l.trim() !== ""));
  throw new UsageError(`${spec}: cannot be installed: ${why}`);
}

/** Builds the `hook` adapter. */
export const hookFactory: AdapterFactory = (arg) => {
  const { lib, base } = parseHookArg(arg);
  const spec = `hook:${arg}`;
  if (!process.env[PROBED_ENV]) probeInChild(spec);
  return hookAdapter(spec, libraryInstaller(lib), base);
};
