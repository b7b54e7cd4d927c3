/**
 * The Bun loader: {@link FfiBackend} over `bun:ffi` (deno-bun-facts.md §1, §2).
 *
 * `bun:ffi` is imported dynamically (never statically: Deno cannot resolve the `bun:` scheme).
 * Mapping of the neutral types: `ptr` is Bun's `ptr` (a number, null for NULL; results normalised to 0),
 * `usize`/`u64` take numbers or bigints and return bigints (normalised to numbers when exact), `buf` is a
 * `ptr` argument given a TypedArray. Which symbols a library exports is probed with libc's
 * `dlopen`/`dlsym` first, because `bun:ffi`'s `dlopen` fails as a whole on the first missing symbol.
 *
 * @module
 */
import type {
  FfiBackend,
  FfiCallback,
  FfiLibrary,
  FfiType,
  NeutralFn,
  Signature,
  SymbolTable,
} from "./ffi_types.ts";
import { MAX_SAFE_BIG } from "./ffi_types.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

const PARAM: Record<FfiType, string> = {
  void: "void",
  i32: "i32",
  u32: "u32",
  u64: "u64",
  usize: "usize",
  ptr: "ptr",
  buf: "ptr",
};

const num = (v: bigint): number | bigint => v <= MAX_SAFE_BIG ? Number(v) : v;
const nz = (v: number | null): number => v ?? 0;

function bunDef(sig: Signature): Any {
  return { args: sig.params.map((t) => PARAM[t]), returns: PARAM[sig.result] };
}

/**
 * Wraps a bun:ffi function with the neutral conversions, compiled per symbol (`new Function`) so each
 * wrapper has its own type feedback (a closure shared by every symbol makes call sites megamorphic).
 */
function wrap(f: NeutralFn, sig: Signature, name = "fn"): NeutralFn {
  const args = sig.params.map((_, i) => `a${i}`);
  const conv = sig.params.map((t, i) =>
    t === "ptr" ? `(typeof a${i} === "bigint" && a${i} <= MAX ? Number(a${i}) : a${i})` : `a${i}`
  );
  const call = `f(${conv.join(", ")})`;
  let body: string;
  if (sig.result === "ptr") body = `const r = ${call}; return r === null ? 0 : r;`;
  else if (sig.result === "usize" || sig.result === "u64") {
    body = `const r = ${call}; return r <= MAX ? Number(r) : r;`;
  } else if (sig.params.every((t) => t !== "ptr")) return f;
  else body = `return ${call};`;
  const id = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return new Function("f", "MAX", `return function ${id}(${args.join(", ")}) { ${body} };`)(f, MAX_SAFE_BIG);
}

const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000; // never unloaded: addresses and installed functions must outlive every handle

/** Creates the Bun backend (async: `bun:ffi` is imported dynamically). */
export async function createBunBackend(): Promise<FfiBackend> {
  const ffi: Any = await import("bun:ffi" as string);
  const { dlopen, JSCallback, CFunction, toArrayBuffer, read, CString } = ffi;
  const libc: Any = dlopen("libc.so.6", {
    dlopen: { args: ["ptr", "i32"], returns: "ptr" },
    dlsym: { args: ["ptr", "ptr"], returns: "ptr" },
    dlerror: { args: [], returns: "ptr" },
  }).symbols;
  const enc = new TextEncoder();
  const cstr = (s: string) => {
    const b = new Uint8Array(enc.encode(s).length + 1);
    enc.encodeInto(s, b);
    return b;
  };
  const handles = new Map<string, number>();
  /** libc dlopen (kept open for the process): the handle, or an Error carrying dlerror()'s text. */
  function handle(path: string): number {
    const hit = handles.get(path);
    if (hit !== undefined) return hit;
    libc.dlerror(); // open() calls this first, so every library is pinned (RTLD_NODELETE, see deno_backend.ts)
    const h = libc.dlopen(cstr(path), RTLD_NOW | RTLD_NODELETE);
    if (!h) {
      const e = libc.dlerror();
      throw new Error(e ? String(new CString(e)) : `dlopen failed for ${path}`);
    }
    handles.set(path, h);
    return h;
  }
  const addr = (path: string, name: string): number => nz(libc.dlsym(handle(path), cstr(name)));

  return {
    runtime: "bun",
    open(path: string, table: SymbolTable): FfiLibrary {
      handle(path);
      const present = Object.entries(table).filter(([name]) => addr(path, name) !== 0);
      const defs: Record<string, Any> = {};
      for (const [name, sig] of present) defs[name] = bunDef(sig);
      const lib: Any = present.length ? dlopen(path, defs) : { symbols: {} }; // bun:ffi refuses an empty table
      const symbols: Record<string, NeutralFn | undefined> = {};
      for (const [name, sig] of present) symbols[name] = wrap(lib.symbols[name], sig, name);
      return { path, symbols, address: (name: string) => (symbols[name] ? addr(path, name) : 0) };
    },
    symbolAddress: addr,
    callback(sig: Signature, fn: NeutralFn): FfiCallback {
      // sizes reach an allocator as numbers (one above 2^53 rounded, ref/types.ts); pointers stay exact
      const conv = sig.params.map((t) => (t === "ptr" ? nz : t === "usize" || t === "u64" ? Number : null));
      const id = (v: Any) => v;
      const [c0, c1, c2] = [conv[0] ?? id, conv[1] ?? id, conv[2] ?? id];
      const n = sig.params.length;
      let tramp: NeutralFn;
      if (n === 1) tramp = (a: Any) => fn(c0(a));
      else if (n === 2) tramp = (a: Any, b: Any) => fn(c0(a), c1(b));
      else if (n === 3) tramp = (a: Any, b: Any, d: Any) => fn(c0(a), c1(b), c2(d));
      else throw new RangeError(`callback with ${n} parameters is not supported (1..3)`);
      const cb = new JSCallback(tramp, bunDef(sig));
      return { ptr: cb.ptr as number, close: () => cb.close() };
    },
    fnPointer(ptr: number, sig: Signature): NeutralFn {
      return wrap(CFunction({ ptr, ...bunDef(sig) }), sig);
    },
    view(ptr: number, len: number): ArrayBuffer {
      return toArrayBuffer(ptr, 0, len);
    },
    readPointer(a: number): number | bigint {
      return num(read.u64(a, 0));
    },
    cstring(a: number): string {
      return String(new CString(a));
    },
  };
}
