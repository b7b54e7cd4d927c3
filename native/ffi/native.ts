/**
 * The native C library (native/build/<variant>/liballocspec.so) as a {@link Pep445}, plus its extras
 * (docs/contracts.md §5): reset, raw structs, libc glue, replay, C pass-through and tracing hooks, RAW stress.
 *
 * - `openNative()` builds the library when missing/stale (native/build.ts), dlopens it once per process,
 *   checks allocspec_abi_version(), and resets the C state (allocspec_reset). One live instance per
 *   process: opening again closes the previous one.
 * - Violation mode "throw": allocspec_record_violations(1); after every entry point the loader reads
 *   allocspec_violation_count() and, if non-zero, the recorded kind/address/func/ids/text, clears it and
 *   throws {@link PyMemDebugError}. Mode "abort": recording off, so the C default prints CPython's text
 *   and abort()s (SIGABRT).
 * - JS allocators installed with Set are C callbacks (main-thread only). The loader tells the library
 *   with allocspec_mark_js_domain(domain, 1) (0 when a pure-C allocator is installed back), so
 *   allocspec_stress_raw refuses to run threads through a RAW allocator that calls into JS.
 *
 * @example
 * ```ts
 * import { openNative } from "./native.ts";
 * const n = openNative({ profile: "cpython", violation: "throw" });
 * const p = n.PyMem_Malloc(16);
 * n.PyMem_Free(p);
 * n.close();
 * ```
 * @module
 */
import { buildNative } from "../build.ts";
import type { Variant } from "../../core/cbuild.ts";
import type {
  Geometry,
  Pep445Options,
  Profile,
  PyMemAllocatorEx,
  ViolationKind,
  ViolationMode,
} from "../../ref/types.ts";
import { PyMemDebugError } from "../../ref/types.ts";
import { ffi } from "./backend.ts";
import type { FfiLibrary, NeutralFn } from "./ffi_types.ts";
import type { EntryTable, ForeignApi } from "./foreign.ts";
import { openLibrary, requireSymbols, symbolAddress } from "./library.ts";
import { FfiPep445 } from "./pep445_ffi.ts";
import { putPtr } from "./structs.ts";
import { ALLOCSPEC_ABI_VERSION, NATIVE_TABLE } from "./symbols.ts";
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { C_LAYOUTS, C_TRACE } from "./layouts.ts";
import process from "node:process";

const HEADER = C_LAYOUTS.allocspec_trace_header;
const RESULT = C_LAYOUTS.allocspec_replay_result;
const R = RESULT.fields;

/** Options of {@link openNative}. */
export interface NativeOptions extends Pep445Options {
  /** Which build to load (default "release"); ignored when `libPath` is given. */
  variant?: Variant;
  /** Load this file instead of building (it must be an allocspec build of the same ABI). */
  libPath?: string;
}

/** Result of {@link NativePep445.replay} (allocspec_replay_result, as numbers). */
export interface ReplayResult {
  ns: number;
  ops: number;
  failed: number;
  peakLiveBytes: number;
  checksum: number;
}

/** Options of {@link NativePep445.replay}. */
export interface ReplayOptions {
  /** Every op calls this allocator directly (e.g. allocatorFromStruct/libcAllocator, or a JS one). */
  direct?: PyMemAllocatorEx;
  /** Entry points to call per domain (e.g. libpython's, from entryTableOf()); default this library's. */
  entries?: EntryTable;
  /** Touch the first and last byte of every block (flags bit 0). */
  touch?: boolean;
}

const KINDS: readonly ViolationKind[] = ["bad_id", "bad_leading_pad", "bad_trailing_pad", "no_gil"];
const PROFILE_ID: Record<Profile, number> = { "pep445-2013": 0, cpython: 1 };
const GEOMETRY_ID: Record<Geometry, number> = { pep445: 0, cpython310: 1 };
/** allocspec_mark_js_domain's number for the arena allocator (ALLOCSPEC_ARENA_DOMAIN). */
const ARENA_DOMAIN = 3;

let current: NativePep445 | null = null;

function resolveOptions(
  opts: Pep445Options,
  fn: string,
): { profile: Profile; geometry: Geometry; violation: ViolationMode } {
  const profile = opts.profile ?? "cpython";
  if (!(profile in PROFILE_ID)) {
    throw new TypeError(`${fn}: profile must be "cpython" or "pep445-2013", got ${String(profile)}`);
  }
  const geometry = opts.geometry ?? (profile === "cpython" ? "cpython310" : "pep445");
  if (!(geometry in GEOMETRY_ID)) {
    throw new TypeError(`${fn}: geometry must be "pep445" or "cpython310", got ${String(geometry)}`);
  }
  const violation = opts.violation ?? "throw";
  if (violation !== "throw" && violation !== "abort") {
    throw new TypeError(`${fn}: violation must be "throw" or "abort", got ${String(violation)}`);
  }
  return { profile, geometry, violation };
}

/** The native library as a {@link Pep445} with its extras (docs/contracts.md §5). */
export class NativePep445 extends FfiPep445 {
  #x: Record<string, NeutralFn>;
  #record = false;
  #vcount: NeutralFn;
  #out = new BigUint64Array(RESULT.size / 8);
  #dbuf = new Uint32Array(10);
  /** Per mark domain (RAW, MEM, OBJ, arena): JS reachable, and C allocators seen while it was. */
  #js = [false, false, false, false];
  #tainted = [new Set<string>(), new Set<string>(), new Set<string>(), new Set<string>()];

  constructor(lib: FfiLibrary, opts: ReturnType<typeof resolveOptions>) {
    super({
      name: "native",
      libPath: lib.path,
      ffi,
      lib,
      profile: opts.profile,
      geometry: opts.geometry,
      nullCallocOk: true,
    });
    this.#x = new Proxy(lib.symbols as Record<string, NeutralFn>, {
      get: (t, name: string) =>
        t[name] ?? (() => {
          throw new Error(
            `${name} is not exported by ${lib.path}: rebuild with deno run -A native/build.ts --force`,
          );
        }),
    });
    this.#vcount = lib.symbols.allocspec_violation_count!;
    this.#x.allocspec_reset(PROFILE_ID[opts.profile], GEOMETRY_ID[opts.geometry]);
    this.setViolationMode(opts.violation);
  }

  protected override afterCall(): void {
    if (this.bridge.hasPending) {
      if (this.#record && this.#vcount() !== 0) this.#x.allocspec_violation_clear();
      this.bridge.throwPending();
    }
    if (this.#record && this.#vcount() !== 0) this.#throwViolation();
  }

  #throwViolation(): never {
    const x = this.#x;
    const kind = KINDS[x.allocspec_violation_kind()] ?? "bad_id";
    const address = x.allocspec_violation_address();
    const fp = x.allocspec_violation_func(), tp = x.allocspec_violation_text();
    const func = fp ? ffi.cstring(fp) : "";
    const text = tp ? ffi.cstring(tp) : "";
    const api = x.allocspec_violation_api_id(), verified = x.allocspec_violation_verified_id();
    x.allocspec_violation_clear();
    throw new PyMemDebugError(kind, address, func, api, verified, text);
  }

  /**
   * allocspec_mark_js_domain bookkeeping. A C allocator obtained through Get while JS was reachable in
   * that domain (e.g. the debug hooks set up over a TS allocator, whose ctx leads to JS) is "tainted":
   * installing it back keeps the domain marked, so allocspec_stress_raw never runs JS on other threads.
   */
  protected override installed(domain: number, js: boolean, key: string): void {
    const i = domain === -1 ? ARENA_DOMAIN : domain;
    if (i < 0 || i > ARENA_DOMAIN) return;
    const reach = js || this.#tainted[i].has(key);
    this.#js[i] = reach;
    this.#x.allocspec_mark_js_domain(i, reach ? 1 : 0);
  }

  protected override observed(domain: number, key: string): void {
    const i = domain === -1 ? ARENA_DOMAIN : domain;
    if (this.#js[i]) this.#tainted[i].add(key);
  }

  /** allocspec_reset + loader state: releases callbacks and handles; keeps the violation mode unless given. */
  reset(opts: Pep445Options = {}): void {
    this.#alive();
    const o = resolveOptions({ violation: this.#record ? "throw" : "abort", ...opts }, "reset");
    this.#x.allocspec_reset(PROFILE_ID[o.profile], GEOMETRY_ID[o.geometry]);
    this.prof = o.profile;
    this.geom = o.geometry;
    this.bridge.close();
    this.installedJs = false;
    this.#js.fill(false);
    for (const t of this.#tainted) t.clear();
    this.setViolationMode(o.violation);
  }

  setGilHeld(held: boolean): void {
    this.#x.allocspec_set_gil_held(held ? 1 : 0);
  }

  setViolationMode(mode: ViolationMode): void {
    if (mode !== "throw" && mode !== "abort") {
      throw new TypeError(`setViolationMode: mode must be "throw" or "abort", got ${String(mode)}`);
    }
    this.#record = mode === "throw";
    this.#x.allocspec_record_violations(this.#record ? 1 : 0);
    this.#x.allocspec_violation_clear();
  }

  /** Address of an exported symbol of the native library. */
  symbol(name: string): number {
    return symbolAddress(this.libPath, name);
  }

  /** allocspec_libc_allocator: a PyMemAllocatorEx calling plain malloc-family functions (calloc may be 0). */
  libcAllocator(fns: { malloc: number; calloc: number; realloc: number; free: number }): PyMemAllocatorEx {
    for (const k of ["malloc", "realloc", "free"] as const) {
      if (typeof fns?.[k] !== "number" || !Number.isInteger(fns[k]) || fns[k] <= 0) {
        throw new TypeError(
          `libcAllocator: fns.${k} must be the address of a C function (e.g. symbolAddress("libc.so.6", "${k}")), got ${
            String(fns?.[k])
          }`,
        );
      }
    }
    const calloc = fns.calloc ?? 0;
    if (typeof calloc !== "number" || !Number.isInteger(calloc) || calloc < 0) {
      throw new TypeError(
        `libcAllocator: fns.calloc must be a C function address or 0, got ${String(calloc)}`,
      );
    }
    const p = this.#x.allocspec_libc_allocator(fns.malloc, calloc, fns.realloc, fns.free);
    if (p === 0) throw new Error("allocspec_libc_allocator returned NULL (no free glue slot?)");
    return this.allocatorFromStruct(p, "shipped");
  }

  /** Replays an A445TRC1 trace inside C (no FFI cost per operation). */
  replay(trace: Uint8Array, opts: ReplayOptions = {}): ReplayResult {
    this.#alive();
    if (!(trace instanceof Uint8Array)) {
      throw new TypeError("replay: trace must be a Uint8Array holding a whole A445TRC1 file");
    }
    const H = HEADER.fields, HS = HEADER.size, RS = BigInt(C_LAYOUTS.allocspec_trace_record.size);
    if (trace.length < HS) {
      throw new RangeError(
        `replay: trace is ${trace.length} bytes, shorter than the ${HS}-byte A445TRC1 header`,
      );
    }
    const dv = new DataView(trace.buffer, trace.byteOffset, trace.byteLength);
    const magic = new TextDecoder().decode(trace.subarray(H.magic, H.magic + 8));
    if (magic !== C_TRACE.magic) {
      throw new RangeError(`replay: bad magic ${JSON.stringify(magic)}: not an A445TRC1 trace`);
    }
    if (dv.getUint32(H.version, true) !== C_TRACE.version) {
      throw new RangeError(`replay: trace version ${dv.getUint32(H.version, true)} is not supported (1)`);
    }
    const nslots = dv.getUint32(H.nslots, true);
    const nops = dv.getBigUint64(H.nops, true);
    if (BigInt(trace.length) < BigInt(HS) + RS * nops) {
      throw new RangeError(
        `replay: trace holds ${trace.length} bytes but its header announces ${nops} records (${
          BigInt(HS) + RS * nops
        } bytes)`,
      );
    }
    let entries: BigUint64Array | null = null;
    if (opts.entries) {
      entries = new BigUint64Array(C_LAYOUTS.allocspec_entry_table.size / 8);
      (["malloc", "calloc", "realloc", "free"] as const).forEach((k) => {
        const row = opts.entries![k];
        for (let d = 0; d < 3; d++) {
          const a = row?.[d];
          if (typeof a !== "number" || !Number.isInteger(a) || a < 0) {
            throw new TypeError(`replay: entries.${k}[${d}] must be a function address, got ${String(a)}`);
          }
          entries![C_LAYOUTS.allocspec_entry_table.fields[k] / 8 + d] = BigInt(a);
        }
      });
    }
    let direct: Uint32Array | null = null;
    if (opts.direct) {
      const a = opts.direct;
      for (const k of ["malloc", "realloc", "free"] as const) {
        if (typeof a[k] !== "function") {
          throw new TypeError(
            `replay: direct.${k} must be a function, got ${a[k] === null ? "null" : typeof a[k]}`,
          );
        }
      }
      direct = this.#dbuf;
      putPtr(direct, 0, this.bridge.ctxToPtr(a.ctx));
      putPtr(direct, 1, this.bridge.fnToPtr("malloc", a.malloc, "replay: direct.malloc"));
      putPtr(direct, 2, this.bridge.fnToPtr("calloc", a.calloc ?? null, "replay: direct.calloc"));
      putPtr(direct, 3, this.bridge.fnToPtr("realloc", a.realloc, "replay: direct.realloc"));
      putPtr(direct, 4, this.bridge.fnToPtr("free", a.free, "replay: direct.free"));
    }
    const out = this.#out;
    out.fill(0n);
    const rc = this.#x.allocspec_replay(
      trace.subarray(HS),
      nops,
      nslots,
      entries,
      direct,
      opts.touch ? 1 : 0,
      out,
    );
    this.bridge.throwPending();
    if (rc !== 0) {
      throw new Error(`allocspec_replay failed (rc ${rc}): bad arguments (check the trace's slots and ops)`);
    }
    return {
      ns: Number(out[R.ns / 8]),
      ops: Number(out[R.ops / 8]),
      failed: Number(out[R.failed / 8]),
      peakLiveBytes: Number(out[R.peak_live_bytes / 8]),
      checksum: Number(out[R.checksum / 8]),
    };
  }

  /** PEP use case 3 in C: `depth` nested pass-through hooks on all domains of this library or `target`. */
  passthroughInstall(depth: number, target?: ForeignApi): void {
    if (!Number.isInteger(depth) || depth < 1) {
      throw new RangeError(`passthroughInstall: depth must be an integer >= 1, got ${depth}`);
    }
    const [g, s] = targetOf(target, "passthroughInstall");
    if (this.#x.allocspec_passthrough_install(g, s, depth) !== 0) {
      throw new Error(
        "allocspec_passthrough_install failed: hooks already installed or bad target (uninstall first)",
      );
    }
  }

  passthroughUninstall(): void {
    if (this.#x.allocspec_passthrough_uninstall() !== 0) {
      throw new Error("allocspec_passthrough_uninstall failed: no pass-through hooks installed");
    }
  }

  /** Calls seen by the outermost pass-through hooks since install. */
  passthroughCalls(): number {
    return Number(this.#x.allocspec_passthrough_calls());
  }

  traceInstall(maxOps: number, target?: ForeignApi): void {
    if (!Number.isInteger(maxOps) || maxOps < 1) {
      throw new RangeError(`traceInstall: maxOps must be an integer >= 1, got ${maxOps}`);
    }
    const [g, s] = targetOf(target, "traceInstall");
    if (this.#x.allocspec_trace_install(g, s, BigInt(maxOps)) !== 0) {
      throw new Error(
        "allocspec_trace_install failed: a trace is already installed, out of memory, or bad target",
      );
    }
  }

  /** Removes the tracing hook; returns the number of operations recorded. */
  traceUninstall(): number {
    return Number(this.#x.allocspec_trace_uninstall());
  }

  traceWrite(path: string): void {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(`traceWrite: path must be a non-empty string, got ${String(path)}`);
    }
    const abs = isAbsolute(path) ? path : resolve(path);
    const bytes = new TextEncoder().encode(abs + "\0");
    if (this.#x.allocspec_trace_write(bytes) !== 0) {
      throw new Error(
        `allocspec_trace_write failed for ${abs}: no trace recorded, or the file cannot be written`,
      );
    }
  }

  /** RAW stress from C threads; returns mismatches. Refused (Error) when RAW's allocator calls into JS. */
  stressRaw(threads: number, rounds: number, seed: number): number {
    for (const [k, v] of [["threads", threads], ["rounds", rounds]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 2 ** 31 - 1) {
        throw new RangeError(`stressRaw: ${k} must be a positive integer, got ${v}`);
      }
    }
    if (!Number.isInteger(seed) || seed < 0) {
      throw new RangeError(`stressRaw: seed must be a non-negative integer, got ${seed}`);
    }
    const r = this.#x.allocspec_stress_raw(threads, rounds, BigInt(seed));
    if (r === -1) {
      throw new Error(
        "stressRaw refused: the RAW allocator calls into JS, and JS callbacks are main-thread only (install a C allocator in RAW first)",
      );
    }
    if (r < 0) {
      throw new RangeError(
        `stressRaw: allocspec_stress_raw rejected threads=${threads} rounds=${rounds} (threads 1..64) or could not start its threads`,
      );
    }
    return r;
  }

  /** Resets the C state (so no JS callback stays installed), then releases callbacks and handles. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#x.allocspec_reset(PROFILE_ID[this.prof], GEOMETRY_ID[this.geom]);
    this.bridge.close();
    if (current === this) current = null;
  }

  #alive(): void {
    if (this.closed) throw new Error("this native instance is closed: call openNative() again");
  }
}

function targetOf(target: ForeignApi | undefined, fn: string): [number, number] {
  if (target === undefined) return [0, 0];
  const { getAllocator: g, setAllocator: s } = target ?? {};
  if (!Number.isInteger(g) || !Number.isInteger(s) || g <= 0 || s <= 0) {
    throw new TypeError(
      `${fn}: target must be {getAllocator, setAllocator} function addresses (e.g. foreign.foreignApi())`,
    );
  }
  return [g, s];
}

/** Whether libasan is preloaded (LD_PRELOAD names it, or it is already mapped). */
function asanPreloaded(): boolean {
  try {
    if ((process.env.LD_PRELOAD ?? "").includes("libasan")) return true;
    return readFileSync("/proc/self/maps", "utf8").includes("libasan");
  } catch {
    return false;
  }
}

/** Loads (once per path) and checks the native library. */
function loadNativeLibrary(path: string): FfiLibrary {
  const lib = openLibrary(path, NATIVE_TABLE, "openNative");
  const v = lib.symbols.allocspec_abi_version;
  if (!v) {
    throw new Error(
      `${path} does not export allocspec_abi_version: not an allocspec build (rebuild with deno run -A native/build.ts)`,
    );
  }
  const version = v();
  if (version !== ALLOCSPEC_ABI_VERSION) {
    throw new Error(
      `${path} has allocspec ABI version ${version}, this loader speaks ${ALLOCSPEC_ABI_VERSION}: rebuild with deno run -A native/build.ts --force`,
    );
  }
  // The tools (passthrough, trace, replay, libc glue, stress) are checked when used: a build without
  // them still serves the PEP 445 API.
  const tools = /^allocspec_(passthrough|trace|replay|libc|stress)/;
  requireSymbols(
    lib,
    Object.keys(NATIVE_TABLE).filter((n) => !tools.test(n)),
    "an incomplete allocspec build: rebuild with deno run -A native/build.ts --force",
  );
  return lib;
}

/**
 * Opens the native library as a {@link NativePep445}: builds it if missing or stale, resets the C state.
 * One live instance per process: opening again closes the previous one.
 */
export function openNative(opts: NativeOptions = {}): NativePep445 {
  const o = resolveOptions(opts, "openNative");
  const asan = opts.libPath !== undefined
    ? /\/asan\/[^/]*$/.test(String(opts.libPath))
    : opts.variant === "asan";
  if (asan && !asanPreloaded()) {
    // dlopen of an ASan build without the runtime preloaded makes ASan exit the whole process
    throw new Error(
      "the asan variant needs the ASan runtime loaded first: run with LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0",
    );
  }
  let path: string;
  if (opts.libPath !== undefined) {
    if (typeof opts.libPath !== "string" || opts.libPath === "") {
      throw new TypeError(`openNative: libPath must be a non-empty string, got ${String(opts.libPath)}`);
    }
    path = isAbsolute(opts.libPath) ? opts.libPath : resolve(opts.libPath);
  } else {
    path = buildNative({ variant: opts.variant ?? "release", quiet: true });
  }
  const lib = loadNativeLibrary(path);
  current?.close();
  current = new NativePep445(lib, o);
  return current;
}
