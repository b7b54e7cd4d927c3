/**
 * The context a case body receives: the target's {@link Pep445}, the domain and profile of this run, and
 * helpers (domain dispatch, a seeded PRNG, fill/verify, recording hooks, the profile's debug constants).
 *
 * @example
 * ```ts
 * import { makeContext } from "./context.ts";
 * // const ctx = makeContext({ py, target, domain: "MEM", profile: "cpython" });
 * // const p = ctx.malloc(32); ctx.fill(p, 32, 7); ctx.verify(p, 32, 7, "after malloc");
 * ```
 * @module
 */
import type { Capability, CErrno } from "./adapter.ts";
import {
  type Domain,
  type Pep445,
  type Profile,
  type Ptr,
  PYMEM_DOMAIN_MEM,
  PYMEM_DOMAIN_OBJ,
  PYMEM_DOMAIN_RAW,
  type PyMemAllocatorEx,
  type PyMemAllocators,
  type SizeArg,
  SST,
} from "../ref/types.ts";

/** A PEP 445 domain by name. */
export type DomainName = "RAW" | "MEM" | "OBJ";

/** A case failure: the runner reports its message as FAIL. */
export class CaseFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CaseFailure";
  }
}

/**
 * A case whose precondition did not happen (e.g. an injected failure was never reached): the runner
 * reports SKIP with this message as the reason, never FAIL or PASS.
 */
export class CaseSkip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "CaseSkip";
  }
}

/** Throws a {@link CaseSkip}: the run is SKIP with `reason`. */
export function skip(reason: string): never {
  throw new CaseSkip(reason);
}

/** Throws a {@link CaseFailure}. */
export function fail(message: string): never {
  throw new CaseFailure(message);
}

export const DOMAIN_NUMBER: Record<DomainName, Domain> = {
  RAW: PYMEM_DOMAIN_RAW,
  MEM: PYMEM_DOMAIN_MEM,
  OBJ: PYMEM_DOMAIN_OBJ,
};
/** The debug API id byte per domain ('r', 'm', 'o'). */
export const API_ID: Record<DomainName, number> = { RAW: 0x72, MEM: 0x6d, OBJ: 0x6f };

/** A small seeded PRNG (mulberry32): deterministic across runtimes. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** uniform uint32 */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
}

/** Deterministic pattern bytes for (seed, length). */
export function pattern(seed: number, n: number): Uint8Array {
  const r = new Prng(seed * 2654435761);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.next() & 0xff;
  return out;
}

/** Debug-hook constants of a profile (cpython-facts.md §2.2: CB/DB/FB before 3.8, CD/DD/FD after). */
export interface DebugBytes {
  clean: number;
  dead: number;
  forbidden: number;
  /** bytes the debug layer adds: 3S (3.8+) or 4S (serial number, <= 3.7 and the 2013 draft) */
  overhead: number;
}
export function debugBytes(profile: Profile): DebugBytes {
  return profile === "cpython"
    ? { clean: 0xcd, dead: 0xdd, forbidden: 0xfd, overhead: 3 * SST }
    : { clean: 0xcb, dead: 0xdb, forbidden: 0xfb, overhead: 4 * SST };
}

/** One call seen by a recording hook. */
export interface HookCall {
  op: "malloc" | "calloc" | "realloc" | "free";
  ctx: unknown;
  args: number[];
  result?: number;
  /** the hook answered NULL itself (failure injection), the inner allocator was not called */
  failed?: true;
}

/** A pass-through hook installed over a domain's current allocator (PEP 445 use case 3). */
export interface RecordingHook {
  readonly calls: HookCall[];
  readonly inner: PyMemAllocatorEx;
  readonly installed: PyMemAllocatorEx;
  /**
   * make the next matching calls return NULL without calling the inner allocator (`Infinity`: every
   * call until uninstalled); such calls are recorded with `failed: true`
   */
  failNext: Partial<Record<HookCall["op"], number>>;
  uninstall(): void;
}

/** What a case sees of its target. */
export interface TargetInfo {
  readonly label: string;
  readonly capabilities: ReadonlySet<Capability>;
  stressRaw?(threads: number, rounds: number, seed: number): number;
  /** the calling thread's C errno (capability "errno") */
  readonly errno?: CErrno;
}

/** The context of one run of one case. */
export interface CaseContext {
  readonly py: Pep445;
  readonly target: TargetInfo;
  readonly domain: DomainName;
  readonly domainNumber: Domain;
  readonly profile: Profile;
  readonly variant: string | undefined;
  readonly rng: Prng;
  readonly debug: DebugBytes;
  /** the debug API id byte of this domain */
  readonly apiId: number;
  malloc(n: SizeArg): Ptr;
  calloc(nelem: SizeArg, elsize: SizeArg): Ptr;
  realloc(p: Ptr, n: SizeArg): Ptr;
  free(p: Ptr): void;
  /** the same four for another domain */
  on(
    d: DomainName,
  ): {
    malloc(n: SizeArg): Ptr;
    calloc(a: SizeArg, b: SizeArg): Ptr;
    realloc(p: Ptr, n: SizeArg): Ptr;
    free(p: Ptr): void;
  };
  getAllocator(d?: DomainName): PyMemAllocatorEx;
  setAllocator(a: PyMemAllocatorEx, d?: DomainName): void;
  /** the 2013 draft API form of Get/Set for a domain */
  get2013(d?: DomainName): PyMemAllocators;
  set2013(a: PyMemAllocators, d?: DomainName): void;
  read(p: Ptr, n: number): Uint8Array;
  write(p: Ptr, bytes: ArrayLike<number>): void;
  /** writes pattern(seed, n) at p */
  fill(p: Ptr, n: number, seed: number): void;
  /** checks that p holds pattern(seed, n); fails naming `what` and the first differing offset */
  verify(p: Ptr, n: number, seed: number, what: string): void;
  /** installs a recording pass-through hook on a domain (default: this one) */
  hook(d?: DomainName): RecordingHook;
  fail(message: string): never;
  /** ends the run as SKIP with the reason (a precondition of the case did not happen) */
  skip(reason: string): never;
}

/** Hex of a pointer for messages. */
export const hex = (p: number): string => "0x" + p.toString(16);

/**
 * Installs a recording pass-through hook over the current allocator of domain `d` (what `ctx.hook()` does;
 * also the recording allocator the `hook:` targets put below the hook under test).
 */
export function recordingHook(py: Pep445, d: DomainName): RecordingHook {
  const dn = DOMAIN_NUMBER[d];
  const inner = py.PyMem_GetAllocator(dn);
  const calls: HookCall[] = [];
  const failNext: RecordingHook["failNext"] = {};
  const shouldFail = (op: HookCall["op"]) => {
    const k = failNext[op] ?? 0;
    if (k > 0) failNext[op] = k - 1;
    return k > 0;
  };
  const failed = (call: HookCall) => {
    if (shouldFail(call.op)) call.failed = true;
    return call.failed === true;
  };
  const hookCtx = { hook: d };
  const installed: PyMemAllocatorEx = {
    ctx: hookCtx,
    malloc(c, n) {
      const call: HookCall = { op: "malloc", ctx: c, args: [n] };
      calls.push(call);
      return (call.result = failed(call) ? 0 : inner.malloc(inner.ctx, n));
    },
    calloc: inner.calloc === null ? null : (c, a, b) => {
      const call: HookCall = { op: "calloc", ctx: c, args: [a, b] };
      calls.push(call);
      return (call.result = failed(call) ? 0 : inner.calloc!(inner.ctx, a, b));
    },
    realloc(c, p, n) {
      const call: HookCall = { op: "realloc", ctx: c, args: [p, n] };
      calls.push(call);
      return (call.result = failed(call) ? 0 : inner.realloc(inner.ctx, p, n));
    },
    free(c, p) {
      calls.push({ op: "free", ctx: c, args: [p] });
      inner.free(inner.ctx, p);
    },
  };
  py.PyMem_SetAllocator(dn, installed);
  return { calls, inner, installed, failNext, uninstall: () => py.PyMem_SetAllocator(dn, inner) };
}

/** Builds the context for one run. */
export function makeContext(o: {
  py: Pep445;
  target: TargetInfo;
  domain: DomainName;
  profile: Profile;
  variant?: string;
  seed?: number;
}): CaseContext {
  const { py } = o;
  const entry = (d: DomainName) =>
    d === "RAW"
      ? {
        malloc: (n: SizeArg) => py.PyMem_RawMalloc(n),
        calloc: (a: SizeArg, b: SizeArg) => py.PyMem_RawCalloc(a, b),
        realloc: (p: Ptr, n: SizeArg) => py.PyMem_RawRealloc(p, n),
        free: (p: Ptr) => py.PyMem_RawFree(p),
      }
      : d === "MEM"
      ? {
        malloc: (n: SizeArg) => py.PyMem_Malloc(n),
        calloc: (a: SizeArg, b: SizeArg) => py.PyMem_Calloc(a, b),
        realloc: (p: Ptr, n: SizeArg) => py.PyMem_Realloc(p, n),
        free: (p: Ptr) => py.PyMem_Free(p),
      }
      : {
        malloc: (n: SizeArg) => py.PyObject_Malloc(n),
        calloc: (a: SizeArg, b: SizeArg) => py.PyObject_Calloc(a, b),
        realloc: (p: Ptr, n: SizeArg) => py.PyObject_Realloc(p, n),
        free: (p: Ptr) => py.PyObject_Free(p),
      };
  const mine = entry(o.domain);
  const ctx: CaseContext = {
    py,
    target: o.target,
    domain: o.domain,
    domainNumber: DOMAIN_NUMBER[o.domain],
    profile: o.profile,
    variant: o.variant,
    rng: new Prng(o.seed ?? 0x445),
    debug: debugBytes(o.profile),
    apiId: API_ID[o.domain],
    ...mine,
    on: entry,
    getAllocator: (d = o.domain) => py.PyMem_GetAllocator(DOMAIN_NUMBER[d]),
    setAllocator: (a, d = o.domain) => py.PyMem_SetAllocator(DOMAIN_NUMBER[d], a),
    get2013: (d = o.domain) =>
      d === "RAW"
        ? py.PyMem_GetRawAllocators()
        : d === "MEM"
        ? py.PyMem_GetAllocators()
        : py.PyObject_GetAllocators(),
    set2013: (a, d = o.domain) =>
      d === "RAW"
        ? py.PyMem_SetRawAllocators(a)
        : d === "MEM"
        ? py.PyMem_SetAllocators(a)
        : py.PyObject_SetAllocators(a),
    read: (p, n) => py.memory.read(p, n),
    write: (p, b) => py.memory.write(p, b),
    fill: (p, n, seed) => py.memory.write(p, pattern(seed, n)),
    verify(p, n, seed, what) {
      const want = pattern(seed, n);
      const got = py.memory.read(p, n);
      for (let i = 0; i < n; i++) {
        if (got[i] !== want[i]) {
          fail(
            `${what}: byte ${i} of ${n} at ${hex(p)} is 0x${got[i].toString(16)}, expected 0x${
              want[i].toString(16)
            } (seeded content lost)`,
          );
        }
      }
    },
    hook: (d = o.domain) => recordingHook(py, d),
    fail,
    skip,
  };
  return ctx;
}
