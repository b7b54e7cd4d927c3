/**
 * {@link Pep445} over FFI, written once for both runtimes and for every library exporting CPython's
 * allocator ABI (the native build, libpython). Subclasses (native.ts, foreign.ts) add host controls.
 *
 * ```
 *   FfiPep445 (entry points, Get/Set, 2013 API)  --uses-->  Bridge (ctx handles, callbacks)
 *        |                                                  ProcessMemory (views)
 *        +-- FfiLibrary.symbols (neutral callers from deno_backend.ts / bun_backend.ts)
 * ```
 *
 * Structs (structs.ts) cross C by pointer to a per-instance scratch Uint32Array (pointer = lo + hi * 2^32), so Get/Set
 * allocate no FFI memory. Entry points check sizes with ref/sizes.ts (same errors as ref/) and pass them
 * to C unchanged: the C entry point applies CPython's PY_SSIZE_T_MAX rule itself (cpython-facts.md §1.3).
 *
 * @module
 */
import type {
  Geometry,
  Memory,
  Pep445,
  Profile,
  Ptr,
  PyMemAllocatorEx,
  PyMemAllocators,
  PyObjectArenaAllocator,
  SizeArg,
  ViolationMode,
} from "../../ref/types.ts";
import { checkSize } from "../../ref/sizes.ts";
import { ENTRY_POINT_NAMES, type EntryOp, entryOp } from "../../ref/types.ts";
import type { FfiBackend, FfiLibrary, NeutralFn } from "./ffi_types.ts";
import { Bridge, checkPtr } from "./bridge.ts";
import { ProcessMemory } from "./memory.ts";
import { checkDomain, checkObject, getPtr, putPtr, requireFn, slotKey, spread2013 } from "./structs.ts";
import { DRAFT_2013_API, ENTRY_POINTS, type FnKind, SHIPPED_API } from "./symbols.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** What a subclass hands to the shared implementation. */
export interface FfiPep445Init {
  name: string;
  libPath: string;
  ffi: FfiBackend;
  lib: FfiLibrary;
  profile: Profile;
  geometry: Geometry;
  /** The library does its own calloc emulation when a domain's calloc is NULL (the native build does). */
  nullCallocOk: boolean;
}

const DOMAIN_FN_2013 = {
  raw: ["PyMem_GetRawAllocators", "PyMem_SetRawAllocators", 0],
  mem: ["PyMem_GetAllocators", "PyMem_SetAllocators", 1],
  obj: ["PyObject_GetAllocators", "PyObject_SetAllocators", 2],
} as const;

const MALLOC = `(size) { const r = f(checkSize(size, "size")); self.afterCall(); return r; }`;
const CALLOC =
  `(nelem, elsize) { const r = f(checkSize(nelem, "nelem"), checkSize(elsize, "elsize")); self.afterCall(); return r; }`;
const REALLOC =
  `(ptr, newSize) { const r = f(checkPtr(ptr, "ptr"), checkSize(newSize, "new_size")); self.afterCall(); return r; }`;
const FREE = `(ptr) { f(checkPtr(ptr, "ptr")); self.afterCall(); }`;
/** Parameter list and body of each entry point (compiled per instance), by operation. */
const OP_SHAPES: Readonly<Record<EntryOp, string>> = {
  malloc: MALLOC,
  calloc: CALLOC,
  realloc: REALLOC,
  free: FREE,
};
const ENTRY_SHAPES: Record<string, string> = Object.fromEntries(
  ENTRY_POINT_NAMES.map((name) => [name, OP_SHAPES[entryOp(name)]]),
);

/** The shared FFI implementation of {@link Pep445}. */
export abstract class FfiPep445 implements Pep445 {
  readonly name: string;
  readonly libPath: string;
  readonly memory: Memory;
  protected readonly ffi: FfiBackend;
  protected readonly lib: FfiLibrary;
  protected readonly bridge: Bridge;
  protected prof: Profile;
  protected geom: Geometry;
  protected closed = false;
  /** Set once a JS callback has been installed into the library (foreign: restore on close). */
  protected installedJs = false;
  readonly #nullCallocOk: boolean;
  readonly #s: Uint32Array = new Uint32Array(12); // 6 pointers of scratch
  readonly #s0: Uint32Array = this.#s.subarray(0, 2);
  readonly #s1: Uint32Array = this.#s.subarray(2, 4);
  readonly #s2: Uint32Array = this.#s.subarray(4, 6);
  readonly #f: Record<string, NeutralFn>;

  constructor(init: FfiPep445Init) {
    this.name = init.name;
    this.libPath = init.libPath;
    this.ffi = init.ffi;
    this.lib = init.lib;
    this.prof = init.profile;
    this.geom = init.geometry;
    this.#nullCallocOk = init.nullCallocOk;
    this.bridge = new Bridge(init.ffi);
    this.memory = new ProcessMemory(init.ffi);
    const base = init.libPath.split("/").pop();
    // Every PEP 445 name resolved once: the symbol, or a function throwing "not exported".
    const f: Record<string, NeutralFn> = {};
    for (const name of Object.keys({ ...ENTRY_POINTS, ...SHIPPED_API, ...DRAFT_2013_API })) {
      f[name] = init.lib.symbols[name] ?? (() => {
        throw new Error(
          `${name} is not exported by ${base} (${init.libPath}): this library does not offer that API`,
        );
      });
    }
    this.#f = f;
    // Entry points compiled per instance: each gets its own type feedback, so the call into the FFI
    // symbol stays monomorphic (Deno's fast call) even when several libraries are loaded.
    const self = this as Any;
    for (const [name, shape] of Object.entries(ENTRY_SHAPES)) {
      self[name] = new Function("f", "checkSize", "checkPtr", "self", `return function ${name}${shape};`)(
        f[name],
        checkSize,
        checkPtr,
        this,
      );
    }
  }

  get profile(): Profile {
    return this.prof;
  }
  get geometry(): Geometry {
    return this.geom;
  }

  /** Called after every entry point: rethrows a JS allocator's error; subclasses add violation checks. */
  protected afterCall(): void {
    if (this.bridge.hasPending) this.bridge.throwPending();
  }

  /** Called when a Set installs allocator functions into a domain (0..2; -1 for the arena allocator). */
  /**
   * Called after a Set installs allocator functions into a domain (0..2; -1 for the arena allocator).
   * `js`: some function is a JS callback; `key` identifies the installed (ctx, first function) pair.
   */
  protected installed(_domain: number, _js: boolean, _key: string): void {}

  /** Called after a Get of a domain (0..2; -1 arena) with the (ctx, first function) key it returned. */
  protected observed(_domain: number, _key: string): void {}

  // ---- entry points (PEP 445 "Proposal": the same signatures as malloc & co, size_t arguments) ----
  // Sizes are checked with ref/sizes.ts and passed to C unchanged (C applies the PY_SSIZE_T_MAX rule);
  // afterCall() rethrows a JS allocator's error or a recorded violation. Compiled per instance (above).
  declare readonly PyMem_RawMalloc: (size: SizeArg) => Ptr;
  declare readonly PyMem_RawCalloc: (nelem: SizeArg, elsize: SizeArg) => Ptr;
  declare readonly PyMem_RawRealloc: (ptr: Ptr, newSize: SizeArg) => Ptr;
  declare readonly PyMem_RawFree: (ptr: Ptr) => void;
  declare readonly PyMem_Malloc: (size: SizeArg) => Ptr;
  declare readonly PyMem_Calloc: (nelem: SizeArg, elsize: SizeArg) => Ptr;
  declare readonly PyMem_Realloc: (ptr: Ptr, newSize: SizeArg) => Ptr;
  declare readonly PyMem_Free: (ptr: Ptr) => void;
  declare readonly PyObject_Malloc: (size: SizeArg) => Ptr;
  declare readonly PyObject_Calloc: (nelem: SizeArg, elsize: SizeArg) => Ptr;
  declare readonly PyObject_Realloc: (ptr: Ptr, newSize: SizeArg) => Ptr;
  declare readonly PyObject_Free: (ptr: Ptr) => void;

  // ---- shipped API (CPython 3.5+) ----
  /** PyMem_GetAllocator: an unknown domain gives five nulls (CPython writes NULL to every field). */
  PyMem_GetAllocator(domain: number): PyMemAllocatorEx {
    const d = checkDomain(domain, "PyMem_GetAllocator");
    const s = this.#s;
    s.fill(0);
    if (d !== null) this.#f.PyMem_GetAllocator(d, s);
    if (d !== null && d >= 0 && d <= 2) this.observed(d, slotKey(s));
    return this.exFromSlots(s);
  }

  /** PyMem_SetAllocator: an unknown domain is ignored (CPython's set_allocator_unlocked). */
  PyMem_SetAllocator(domain: number, allocator: PyMemAllocatorEx): void {
    const d = checkDomain(domain, "PyMem_SetAllocator");
    const fnSet = this.#f.PyMem_SetAllocator;
    checkObject(allocator, "PyMem_SetAllocator", "PyMemAllocatorEx");
    for (const k of ["malloc", "realloc", "free"] as const) {
      requireFn(allocator[k], `PyMem_SetAllocator: allocator.${k}`);
    }
    if (allocator.calloc === null || allocator.calloc === undefined) {
      if (!this.#nullCallocOk) {
        throw new TypeError(
          `PyMem_SetAllocator: allocator.calloc must be a function: ${this.libPath} calls it unconditionally (only the native build accepts a null calloc)`,
        );
      }
    } else requireFn(allocator.calloc, "PyMem_SetAllocator: allocator.calloc");
    if (d === null) return;
    this.#fillEx(allocator, "PyMem_SetAllocator");
    fnSet(d, this.#s);
    this.#afterSet(d, [1, 2, 3, 4]);
  }

  PyObject_GetArenaAllocator(): PyObjectArenaAllocator {
    const s = this.#s;
    s.fill(0);
    this.#f.PyObject_GetArenaAllocator(s);
    this.observed(-1, slotKey(s));
    return this.arenaFromSlots(s);
  }

  PyObject_SetArenaAllocator(allocator: PyObjectArenaAllocator): void {
    const fnSet = this.#f.PyObject_SetArenaAllocator;
    checkObject(allocator, "PyObject_SetArenaAllocator", "PyObjectArenaAllocator");
    requireFn(allocator.alloc, "PyObject_SetArenaAllocator: allocator.alloc");
    requireFn(allocator.free, "PyObject_SetArenaAllocator: allocator.free");
    const s = this.#s;
    putPtr(s, 0, this.bridge.ctxToPtr(allocator.ctx));
    putPtr(
      s,
      1,
      this.bridge.fnToPtr("arenaAlloc", allocator.alloc, "PyObject_SetArenaAllocator: allocator.alloc"),
    );
    putPtr(
      s,
      2,
      this.bridge.fnToPtr("arenaFree", allocator.free, "PyObject_SetArenaAllocator: allocator.free"),
    );
    fnSet(s);
    this.#afterSet(-1, [1, 2]);
  }

  PyMem_SetupDebugHooks(): void {
    this.#f.PyMem_SetupDebugHooks();
  }

  // ---- the 2013 draft API ----
  PyMem_GetRawAllocators(): PyMemAllocators {
    return this.#get2013("raw");
  }
  PyMem_SetRawAllocators(a: PyMemAllocators): void {
    this.#set2013("raw", a);
  }
  PyMem_GetAllocators(): PyMemAllocators {
    return this.#get2013("mem");
  }
  PyMem_SetAllocators(a: PyMemAllocators): void {
    this.#set2013("mem", a);
  }
  PyObject_GetAllocators(): PyMemAllocators {
    return this.#get2013("obj");
  }
  PyObject_SetAllocators(a: PyMemAllocators): void {
    this.#set2013("obj", a);
  }

  _PyObject_GetArenaAllocators(): PyObjectArenaAllocator {
    const s = this.#s;
    s.fill(0);
    this.#f._PyObject_GetArenaAllocators(this.#s0, this.#s1, this.#s2);
    this.observed(-1, slotKey(s));
    return this.arenaFromSlots(s);
  }

  _PyObject_SetArenaAllocators(
    ctx: any,
    malloc: (ctx: any, size: number) => Ptr,
    free: (ctx: any, ptr: Ptr, size: number) => void,
  ): void {
    const fnSet = this.#f._PyObject_SetArenaAllocators;
    requireFn(malloc, "_PyObject_SetArenaAllocators: malloc");
    requireFn(free, "_PyObject_SetArenaAllocators: free");
    const c = this.bridge.ctxToPtr(ctx);
    const m = this.bridge.fnToPtr("arenaAlloc", malloc, "_PyObject_SetArenaAllocators: malloc");
    const f = this.bridge.fnToPtr("arenaFree", free, "_PyObject_SetArenaAllocators: free");
    fnSet(c, m, f);
    const js = this.bridge.isJs(m) || this.bridge.isJs(f);
    if (js) this.installedJs = true;
    this.installed(-1, js, `${c}:${m}`);
  }

  abstract setGilHeld(held: boolean): void;
  abstract setViolationMode(mode: ViolationMode): void;
  abstract close(): void;

  /**
   * Wraps a C `PyMemAllocatorEx` (5 pointers) or 2013 `PyMemAllocators` (4 pointers) struct at `address`
   * into an allocator whose functions call C. Installing it with Set passes the raw pointers back.
   */
  allocatorFromStruct(address: number, abi: "shipped" | "2013" = "shipped"): PyMemAllocatorEx {
    if (typeof address !== "number" || !Number.isInteger(address) || address < 4096) {
      throw new TypeError(
        `allocatorFromStruct: address must be the address of a C struct, got ${String(address)}`,
      );
    }
    if (abi !== "shipped" && abi !== "2013") {
      throw new TypeError(`allocatorFromStruct: abi must be "shipped" or "2013", got ${String(abi)}`);
    }
    const n = abi === "shipped" ? 5 : 4;
    const s = new Uint32Array(2 * n);
    s.set(new Uint32Array(this.ffi.view(address, 8 * n)));
    const slots = abi === "shipped" ? s : spread2013(s);
    const a = this.exFromSlots(slots);
    for (const k of ["malloc", "realloc", "free"] as const) {
      if (a[k] === null) {
        throw new TypeError(`allocatorFromStruct: the struct at 0x${address.toString(16)} has a NULL ${k}`);
      }
    }
    return a;
  }

  protected exFromSlots(s: Uint32Array): PyMemAllocatorEx {
    const b = this.bridge;
    return {
      ctx: b.ptrToCtx(getPtr(s, 0)),
      malloc: b.ptrToFn("malloc", getPtr(s, 1)),
      calloc: b.ptrToFn("calloc", getPtr(s, 2)),
      realloc: b.ptrToFn("realloc", getPtr(s, 3)),
      free: b.ptrToFn("free", getPtr(s, 4)),
    };
  }

  protected arenaFromSlots(s: Uint32Array): PyObjectArenaAllocator {
    const b = this.bridge;
    return {
      ctx: b.ptrToCtx(getPtr(s, 0)),
      alloc: b.ptrToFn("arenaAlloc", getPtr(s, 1)),
      free: b.ptrToFn("arenaFree", getPtr(s, 2)),
    };
  }

  /** Writes a PyMemAllocatorEx into the scratch struct (ctx, malloc, calloc, realloc, free). */
  #fillEx(a: PyMemAllocatorEx, fn: string): void {
    const b = this.bridge, s = this.#s;
    putPtr(s, 0, b.ctxToPtr(a.ctx));
    putPtr(s, 1, b.fnToPtr("malloc", a.malloc, `${fn}: allocator.malloc`));
    putPtr(s, 2, b.fnToPtr("calloc", a.calloc ?? null, `${fn}: allocator.calloc`));
    putPtr(s, 3, b.fnToPtr("realloc", a.realloc, `${fn}: allocator.realloc`));
    putPtr(s, 4, b.fnToPtr("free", a.free, `${fn}: allocator.free`));
  }

  /** Marks the domain as JS or C after a Set, from the function slots just written. */
  #afterSet(domain: number, slots: number[]): void {
    const js = slots.some((i) => {
      const p = getPtr(this.#s, i);
      return typeof p === "number" && this.bridge.isJs(p);
    });
    if (js) this.installedJs = true;
    this.installed(domain, js, slotKey(this.#s));
  }

  #get2013(which: keyof typeof DOMAIN_FN_2013): PyMemAllocators {
    const [getName] = DOMAIN_FN_2013[which];
    const s = this.#s;
    s.fill(0);
    this.#f[getName](s); // {ctx, malloc, realloc, free}
    this.observed(DOMAIN_FN_2013[which][2], slotKey(s));
    const b = this.bridge;
    return {
      ctx: b.ptrToCtx(getPtr(s, 0)),
      malloc: b.ptrToFn("malloc", getPtr(s, 1)),
      realloc: b.ptrToFn("realloc", getPtr(s, 2)),
      free: b.ptrToFn("free", getPtr(s, 3)),
    };
  }

  #set2013(which: keyof typeof DOMAIN_FN_2013, a: PyMemAllocators): void {
    const [, setName, domain] = DOMAIN_FN_2013[which];
    const fnSet = this.#f[setName];
    checkObject(a, setName, "PyMemAllocators");
    for (const k of ["malloc", "realloc", "free"] as const) requireFn(a[k], `${setName}: allocators.${k}`);
    const b = this.bridge, s = this.#s;
    putPtr(s, 0, b.ctxToPtr(a.ctx));
    putPtr(s, 1, b.fnToPtr("malloc", a.malloc, `${setName}: allocators.malloc`));
    putPtr(s, 2, b.fnToPtr("realloc", a.realloc, `${setName}: allocators.realloc`));
    putPtr(s, 3, b.fnToPtr("free", a.free, `${setName}: allocators.free`));
    fnSet(s);
    this.#afterSet(domain, [1, 2, 3]);
  }

  /** A JS function calling C function pointer `p` of the given kind (null for 0). */
  protected cFn(kind: FnKind, p: number): Any {
    return this.bridge.cFunction(kind, p);
  }
}
