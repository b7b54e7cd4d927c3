/**
 * `createRef()`: one simulated CPython memory world implementing {@link Pep445} in TypeScript, layer by
 * layer as PEP 445 describes it:
 *
 * ```
 *  entry points (entry.ts)  PyMem_RawMalloc ...   PyMem_Malloc ...   PyObject_Malloc ...
 *        |  size checks           |                    |                    |
 *  domains (domains.ts)          RAW                  MEM                  OBJ      <- Get/SetAllocator
 *        |  [debug hooks (debug_hooks.ts) on top after PyMem_SetupDebugHooks()]
 *  defaults (default_allocators.ts)  _PyMem_RawMalloc   pymalloc | raw     pymalloc
 *        |                                |                 |                |
 *        |              +-----------------+   fallback for 0 and >512 bytes, through the entry points:
 *        |              |                     PyMem_RawMalloc (cpython) / PyMem_Malloc (pep445-2013)
 *  system (raw.ts)  RawAllocator "malloc"     pymalloc pools (pymalloc.ts) <- arenas (arena allocator)
 *                         \_____________________ Heap (heap.ts) ___________/
 * ```
 *
 * @example
 * ```ts
 * import { createRef, PYMEM_DOMAIN_RAW } from "./mod.ts";
 * const py = createRef({ profile: "cpython" });
 * py.PyMem_SetupDebugHooks();
 * const p = py.PyMem_Malloc(16);
 * py.heap.u8[p - 8]; // 0x6d: API id 'm'
 * py.PyMem_Free(p);
 * ```
 * @module
 */
import {
  type Geometry,
  type Pep445,
  type Pep445Options,
  type Profile,
  PROFILES,
  PY_SSIZE_T_MAX,
  type SizeArg,
  type ViolationMode,
} from "./types.ts";
import { Heap } from "./heap.ts";
import { RawAllocator } from "./raw.ts";
import { createDefaultArenaAllocator } from "./arena.ts";
import { Pymalloc, type PymallocFallback } from "./pymalloc.ts";
import { pymallocAllocator, rawDefaultAllocator } from "./default_allocators.ts";
import { createDebugHooks, type DebugHooks, type DebugHost, setupDebugHooks } from "./debug_hooks.ts";
import { EntryPoints } from "./entry.ts";

/** Options of {@link createRef}: the shared ones plus the size limit of the simulated heap. */
export interface RefOptions extends Pep445Options {
  /** Bytes the simulated address space may grow to (default 1 GiB; allocations beyond give NULL). */
  heapLimit?: number;
}

/** The reference world: {@link Pep445} plus its layers, for introspection. */
export interface RefPep445 extends Pep445 {
  readonly heap: Heap;
  readonly raw: RawAllocator;
  readonly pymalloc: Pymalloc;
  readonly debugHooks: DebugHooks;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * A size pymalloc hands back to an entry point. It arrived at pymalloc as a hook size (a number,
 * rounded above 2^53: types.ts), so a number above 2^53 becomes the exact bigint again, capped at
 * PY_SSIZE_T_MAX (every size <= PY_SSIZE_T_MAX near 2^63 rounds to 2^63), so the entry point passes it
 * on exactly as CPython's PyMem_RawMalloc(n) would (and the allocator gives NULL).
 */
function fallbackSize(n: number): SizeArg {
  if (n <= MAX_SAFE) return n;
  const b = BigInt(n);
  return b > PY_SSIZE_T_MAX ? PY_SSIZE_T_MAX : b;
}

const GEOMETRIES: readonly Geometry[] = ["pep445", "cpython310"];
const MODES: readonly ViolationMode[] = ["throw", "abort"];

function checkOption<T>(value: T | undefined, allowed: readonly T[], name: string, dflt: T): T {
  if (value === undefined) return dflt;
  if (!allowed.includes(value)) {
    throw new RangeError(
      `createRef: unknown ${name} ${JSON.stringify(value)}: use ${
        allowed.map((v) => JSON.stringify(v)).join(" or ")
      }`,
    );
  }
  return value;
}

class Ref extends EntryPoints implements RefPep445 {
  readonly name = "ref";
  readonly profile: Profile;
  readonly geometry: Geometry;
  readonly heap: Heap;
  readonly memory: Heap;
  readonly raw: RawAllocator;
  readonly pymalloc: Pymalloc;
  readonly debugHooks: DebugHooks;
  readonly #host: DebugHost;

  constructor(profile: Profile, geometry: Geometry, violation: ViolationMode, heapLimit: number | undefined) {
    const heap = new Heap(heapLimit === undefined ? {} : { limit: heapLimit });
    const raw = new RawAllocator(heap);
    const rawDefault = rawDefaultAllocator(raw);
    // pymalloc's fallback goes through the entry points, so hooks see it (PyObject_Malloc(1000) reaches
    // the RAW hook on 3.11; the PEP text says PyMem_Malloc). `self` is set right after super().
    // deno-lint-ignore prefer-const -- assigned after super(), which must come first
    let self: Ref | undefined;
    const fallback: PymallocFallback = profile === "cpython"
      ? {
        malloc: (n) => self!.PyMem_RawMalloc(fallbackSize(n)),
        calloc: (e, s) => self!.PyMem_RawCalloc(fallbackSize(e), fallbackSize(s)),
        realloc: (p, n) => self!.PyMem_RawRealloc(p, fallbackSize(n)),
        free: (p) => self!.PyMem_RawFree(p),
      }
      : {
        malloc: (n) => self!.PyMem_Malloc(fallbackSize(n)),
        calloc: (e, s) => self!.PyMem_Calloc(fallbackSize(e), fallbackSize(s)),
        realloc: (p, n) => self!.PyMem_Realloc(p, fallbackSize(n)),
        free: (p) => self!.PyMem_Free(p),
      };
    const pm = new Pymalloc(heap, geometry, () => self!.currentArenaAllocator(), fallback);
    const obj = pymallocAllocator(pm);
    super(heap, rawDefault, profile === "cpython" ? obj : rawDefault, obj, createDefaultArenaAllocator(heap));
    self = this;
    this.profile = profile;
    this.geometry = geometry;
    this.heap = this.memory = heap;
    this.raw = raw;
    this.pymalloc = pm;
    this.#host = { profile, mem: heap, gilHeld: true, violation };
    this.debugHooks = createDebugHooks(this.#host);
  }

  PyMem_SetupDebugHooks(): void {
    setupDebugHooks(this.debugHooks, this);
  }

  setGilHeld(held: boolean): void {
    if (typeof held !== "boolean") {
      throw new TypeError(`setGilHeld: held must be a boolean, got ${typeof held}`);
    }
    this.#host.gilHeld = held;
  }

  setViolationMode(mode: ViolationMode): void {
    this.#host.violation = checkOption(mode, MODES, "violation mode", "throw");
  }

  close(): void {
    // Nothing outside the JS heap is held: the simulated world is garbage once unreferenced.
  }
}

/**
 * Creates a fresh reference world: default allocators for the profile (cpython: MEM = pymalloc;
 * pep445-2013: MEM = raw), no debug hooks, the GIL held, violations thrown (or aborting, `violation:
 * "abort"`).
 *
 * @example
 * ```ts
 * import { createRef } from "./ref.ts";
 * const py = createRef({ profile: "pep445-2013", heapLimit: 64 << 20 });
 * py.PyObject_Free(py.PyObject_Malloc(10));
 * ```
 */
export function createRef(options: RefOptions = {}): RefPep445 {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createRef: options must be an object");
  }
  const profile = checkOption(options.profile, PROFILES, "profile", "cpython");
  const geometry = checkOption(
    options.geometry,
    GEOMETRIES,
    "geometry",
    profile === "cpython" ? "cpython310" : "pep445",
  );
  const violation = checkOption(options.violation, MODES, "violation mode", "throw");
  return new Ref(profile, geometry, violation, options.heapLimit);
}
