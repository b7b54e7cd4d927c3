/**
 * The library probe: what the runner needs to know about a target library before anything runs (its
 * symbols, where each is defined, the allocator struct a `vtable:` symbol holds, whether libpython has the
 * GIL calls), learned in a CHILD process with a timeout. The runner itself never loads a target library:
 * a constructor that aborts or never returns costs one clear usage line (exit 2), not the runner.
 *
 * The child loads the library with the C loader's own `dlopen(RTLD_NOW | RTLD_LOCAL)`, resolves each
 * name with `dlsym` (which also searches the library's dependencies), asks `dladdr` in which object each
 * address lies, reads the library's own file name from its link map (`dlinfo(RTLD_DI_LINKMAP)`), and
 * prints one JSON line ({@link ProbeReport}). The child is `allocspec-probe` (probe/probe.c, built with
 * the project's C flags into the build directory, a few milliseconds per probe) where a C compiler is
 * found, else a child of the current runtime (`probe.ts --probe '<json request>'`, 0.1-0.16 CPU-s). The
 * runtime child also answers when the program reports a static-TLS object (jemalloc, mimalloc, tcmalloc):
 * only the runtime knows whether it has the static TLS to load it (then the probe is repeated with
 * {@link STATIC_TLS_ENV}, and the target's processes get it too).
 *
 * @example
 * ```ts
 * import { probeLibrary } from "./probe.ts";
 * const r = probeLibrary("libc", "libc.so.6", { names: ["malloc"] });
 * console.log(r.report.addresses[0] !== 0, r.report.definedIn[0]); // true, and the path libc.so.6 was loaded from
 * ```
 * @module
 */
import { realpathSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/usage.ts";
import { type ChildOutcome, runProgram, runScript } from "../core/child.ts";
import { STATIC_TLS_ENV } from "../core/env.ts";
import { BUILD_DIR, buildProgram } from "../core/cbuild.ts";

/** What the child reports. */
export interface ProbeReport {
  /** the library's file as the loader found it (its link map name) */
  file: string;
  /** address of each requested name (0: not found) */
  addresses: number[];
  /** the object (dladdr dli_fname) each address lies in; null when not found */
  definedIn: (string | null)[];
  /** with `struct`: the pointer-sized fields at the struct symbol and the object each points into */
  struct?: { fields: number[]; objects: (string | null)[] };
  /** with `embed`: which optional libpython embedding calls exist */
  embed?: { gil: boolean };
}

/** What to probe. */
export interface ProbeRequest {
  names: readonly string[];
  /** read `fields` pointers at the address of this symbol (a PyMemAllocatorEx: 5, PyMemAllocators: 4) */
  struct?: { symbol: string; fields: number };
  embed?: boolean;
}

/** True when two file names are the same file (symlinks resolved). */
export function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Names whose definition is not in the library itself (`[name, where]`). */
export function definedElsewhere(names: readonly string[], r: ProbeReport): [string, string][] {
  const out: [string, string][] = [];
  names.forEach((n, i) => {
    const where = r.definedIn[i];
    if (r.addresses[i] !== 0 && where !== null && !sameFile(where, r.file)) out.push([n, where]);
  });
  return out;
}

const PROBE_SOURCE = fileURLToPath(new URL("./probe/probe.c", import.meta.url));

/** Where `allocspec-probe` is built (core/cbuild.ts BUILD_DIR). */
export function probeProgramPath(): string {
  return join(BUILD_DIR, "probe", "allocspec-probe");
}

/**
 * Builds `allocspec-probe` when missing or older than probe/probe.c and returns its path (throws when
 * there is no C compiler or the build fails).
 *
 * @example
 * ```ts
 * import { buildProbeProgram } from "./probe.ts";
 * const exe = buildProbeProgram(); // .../native/build/probe/allocspec-probe
 * ```
 */
export function buildProbeProgram(opts: { force?: boolean } = {}): string {
  return buildProgram({
    sources: [PROBE_SOURCE],
    output: probeProgramPath(),
    flags: ["-O2", "-ldl"],
    force: opts.force,
  });
}

let program: string | null | undefined;
/** The probe program, built once per process; null where it cannot be built (the runtime child serves). */
function probeProgram(): string | null {
  if (program === undefined) {
    try {
      program = buildProbeProgram();
    } catch {
      program = null;
    }
  }
  return program;
}

/** Which child answers: `program` (allocspec-probe), `runtime` (a child of this runtime), `auto` (both, as described above). */
export type ProbeChild = "auto" | "program" | "runtime";

/**
 * Probes `lib` in a child with a timeout; retries with {@link STATIC_TLS_ENV} when the library needs
 * static TLS (jemalloc). Throws a one-line {@link UsageError} when the library cannot be loaded, kills the
 * child or does not finish loading in time.
 */
export function probeLibrary(
  kind: string,
  lib: string,
  req: ProbeRequest,
  timeoutMs = 20000,
  child: ProbeChild = "auto",
): { report: ProbeReport; needsTls: boolean } {
  // a group of its own, killed whole at the end: a constructor that forks a child keeping our stdout
  // open can neither hang the probe nor outlive it (core/child.ts `group`)
  const opts = { timeoutMs, maxBuffer: 1 << 20, group: true };
  const inRuntime = (extra: Record<string, string>): ChildOutcome =>
    runScript(fileURLToPath(import.meta.url), ["--probe", JSON.stringify({ lib, ...req })], {
      ...opts,
      env: extra,
    });
  const exe = child === "runtime" || req.names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))
    ? null
    : probeProgram();
  if (child === "program" && !exe) throw new Error("allocspec-probe cannot be built here (no C compiler?)");
  const inProgram = (extra: Record<string, string>): ChildOutcome =>
    runProgram(exe!, [
      lib,
      req.names.join(","),
      req.struct?.symbol ?? "",
      String(req.struct?.fields ?? 0),
      req.embed ? "1" : "0",
    ], { ...opts, env: extra });
  let once = exe ? inProgram : inRuntime;
  let needsTls = false;
  let r = once({});
  if (exe && r.error && child === "auto") {
    // the program could not be started (its build directory cleaned meanwhile?): the runtime answers
    program = undefined;
    once = inRuntime;
    r = once({});
  }
  const firstLine = (s: string | null) => (s ?? "").trim().split("\n").find((l) => l.trim() !== "") ?? "";
  if (exe && child === "auto" && r.status === 0 && /"staticTls":true/.test(r.stdout ?? "")) {
    // loaded here, where static TLS is plenty: whether the runtime can is for the runtime to say
    once = inRuntime;
    r = once({});
  }
  if (r.status === 1 && /static TLS/i.test(r.stderr ?? "")) {
    needsTls = true;
    r = once({ ...STATIC_TLS_ENV });
  }
  const secs = `${Math.round(timeoutMs / 100) / 10} s`;
  if (r.timedOut) {
    throw new UsageError(
      `${kind} target: loading ${lib} did not finish within ${secs} (a library constructor that never returns?); nothing was run`,
    );
  }
  if (r.signal) {
    const why = firstLine(r.stderr);
    throw new UsageError(
      `${kind} target: loading ${lib} killed the probe process with ${r.signal} (a library constructor that crashes or aborts?)${
        why ? `: ${why.slice(0, 200)}` : ""
      }; nothing was run`,
    );
  }
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) {
    const why = firstLine(r.stderr) || firstLine(line) || `exit ${r.status}`;
    throw new UsageError(
      `${kind} target: cannot load ${lib}${
        needsTls ? ` even with GLIBC_TUNABLES=${STATIC_TLS_ENV.GLIBC_TUNABLES}` : ""
      }: ${why.slice(0, 300)}`,
    );
  }
  const { staticTls: _, ...report } = JSON.parse(line) as ProbeReport & { staticTls?: boolean };
  return { report, needsTls };
}

/** The child: load, resolve, locate, print one JSON line. */
async function probeChild(reqJson: string): Promise<void> {
  const { ffi, dieWithParent, ownProcessGroup } = await import("../native/mod.ts");
  ownProcessGroup(); // before the library's constructors run: whatever they fork stays in our group
  dieWithParent();
  const req = JSON.parse(reqJson) as ProbeRequest & { lib: string };
  const S = (params: ("ptr" | "buf" | "i32")[], result: "ptr" | "i32") => ({ params, result });
  const dl = ffi.open("libc.so.6", {
    dlopen: S(["buf", "i32"], "ptr"),
    dlsym: S(["ptr", "buf"], "ptr"),
    dladdr: S(["ptr", "buf"], "i32"),
    dlinfo: S(["ptr", "i32", "buf"], "i32"),
    dlerror: S([], "ptr"),
  }).symbols as Record<string, (...a: unknown[]) => number>;
  const cstr = (s: string) => new TextEncoder().encode(s + "\0");
  const RTLD_NOW = 2, RTLD_DI_LINKMAP = 2;
  const h = dl.dlopen(cstr(req.lib), RTLD_NOW);
  if (!h) {
    const e = dl.dlerror();
    console.error(e ? ffi.cstring(e) : `dlopen(${req.lib}) failed`);
    process.exit(1);
  }
  const where = (addr: number): string | null => {
    if (!addr) return null;
    const info = new BigUint64Array(4); // Dl_info {dli_fname, dli_fbase, dli_sname, dli_saddr}
    if (dl.dladdr(addr, info) === 0 || info[0] === 0n) return null;
    return ffi.cstring(Number(info[0]));
  };
  const lm = new BigUint64Array(1);
  let file = req.lib;
  if (dl.dlinfo(h, RTLD_DI_LINKMAP, lm) === 0 && lm[0] !== 0n) {
    const name = ffi.readPointer(Number(lm[0]) + 8); // struct link_map { l_addr; char *l_name; ... }
    if (name) file = ffi.cstring(Number(name));
  }
  const addresses = req.names.map((n) => dl.dlsym(h, cstr(n)));
  const report: ProbeReport = { file, addresses, definedIn: addresses.map(where) };
  if (req.struct) {
    const base = dl.dlsym(h, cstr(req.struct.symbol));
    if (base) {
      const fields = Array.from(
        { length: req.struct.fields },
        (_, k) => Number(ffi.readPointer(base + 8 * k)),
      );
      report.struct = { fields, objects: fields.map(where) };
    }
  }
  if (req.embed) {
    report.embed = {
      gil: !!dl.dlsym(h, cstr("PyEval_SaveThread")) && !!dl.dlsym(h, cstr("PyEval_RestoreThread")),
    };
  }
  console.log(JSON.stringify(report));
  process.exit(0);
}

if (import.meta.main && process.argv[2] === "--probe") await probeChild(process.argv[3]);
