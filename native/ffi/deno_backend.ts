/**
 * The Deno loader: {@link FfiBackend} over `Deno.dlopen` (deno-bun-facts.md §1, §2).
 *
 * Mapping of the neutral types: `ptr`, `usize` and `u64` are declared as Deno `usize`/`u64` and passed as
 * bigint (a number is Deno's slow path, ~150 ns, and fails `deno check`), results converted back to numbers.
 * Declaring pointers as `usize` instead of `pointer` skips the PointerObject round trip
 * (`UnsafePointer.create`/`value`), which measured 2x slower. `buf` is Deno's `buffer` (a TypedArray).
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
  ptr: "usize",
  buf: "buffer",
};

/** number | bigint -> bigint (BigInt throws a RangeError on a fractional number). */
const big = (v: number | bigint): bigint => typeof v === "bigint" ? v : BigInt(v);
/** bigint -> number when exact. */
const num = (v: bigint): number | bigint => v <= MAX_SAFE_BIG ? Number(v) : v;

/**
 * Wraps a raw Deno FFI function with the neutral conversions. The wrapper is compiled per symbol
 * (`new Function`), so each has its own type feedback: a closure shared by every symbol would make
 * V8's call sites megamorphic and lose the fast FFI call path (measured 2x slower).
 */
function wrap(f: NeutralFn, sig: Signature, name = "fn"): NeutralFn {
  const args = sig.params.map((_, i) => `a${i}`);
  const conv = sig.params.map((t, i) =>
    t === "ptr" || t === "usize" || t === "u64"
      ? `(typeof a${i} === "bigint" ? a${i} : BigInt(a${i}))`
      : `a${i}`
  );
  const call = `f(${conv.join(", ")})`;
  let body: string;
  if (sig.result === "ptr" || sig.result === "usize" || sig.result === "u64") {
    body = `const r = ${call}; return r <= MAX ? Number(r) : r;`;
  } else if (conv.every((c, i) => c === args[i])) {
    return f;
  } else body = `return ${call};`;
  const id = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return new Function("f", "MAX", `return function ${id}(${args.join(", ")}) { ${body} };`)(f, MAX_SAFE_BIG);
}

function denoDef(sig: Signature): Any {
  return {
    parameters: sig.params.map((t) => PARAM[t]),
    result: sig.result === "void" ? "void" : PARAM[sig.result],
  };
}

function toPointer(p: number | bigint): Any {
  return Deno.UnsafePointer.create(big(p));
}

const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000;

/** Creates the Deno backend. */
export function createDenoBackend(): FfiBackend {
  const addressLibs = new Map<string, number>();
  // A library we hand addresses from, or whose functions get installed into C, must never be unloaded.
  // Deno closes a DynamicLibrary when its isolate goes away (`deno test` runs each test file in its own),
  // and a library that registered a pthread-key destructor (mimalloc) then crashed the next thread that
  // exited (seen: SIGSEGV in __nptl_deallocate_tsd on a tokio thread of `deno test`). So every library
  // is pinned with dlopen(RTLD_NOW | RTLD_NODELETE) through libc.
  let libcDlopen: ((path: Uint8Array, flags: number) => unknown) | undefined;
  const pin = (path: string) => {
    libcDlopen ??=
      (Deno.dlopen("libc.so.6", { dlopen: { parameters: ["buffer", "i32"], result: "pointer" } } as Any)
        .symbols as Any).dlopen;
    libcDlopen!(new TextEncoder().encode(path + "\0"), RTLD_NOW | RTLD_NODELETE);
  };
  const thunks = new Map<string, NeutralFn>();
  const sigKey = (sig: Signature) => `${sig.params.join(",")}->${sig.result}`;
  return {
    runtime: "deno",
    open(path: string, table: SymbolTable): FfiLibrary {
      const defs: Record<string, Any> = {};
      for (const [name, sig] of Object.entries(table)) defs[name] = { ...denoDef(sig), optional: true };
      const lib: Any = Deno.dlopen(path, defs);
      pin(path);
      const symbols: Record<string, NeutralFn | undefined> = {};
      for (const [name, sig] of Object.entries(table)) {
        const f = lib.symbols[name];
        symbols[name] = f ? wrap(f, sig, name) : undefined;
      }
      return {
        path,
        symbols,
        address: (name: string) => (symbols[name] ? this.symbolAddress(path, name) : 0),
      };
    },
    symbolAddress(path: string, name: string): number {
      const key = `${path}\0${name}`;
      const hit = addressLibs.get(key);
      if (hit !== undefined) return hit;
      let lib: Any;
      try {
        // A static declared as {type:"pointer"} gives the symbol's address (dlsym), for data and functions.
        lib = Deno.dlopen(path, { s: { name, type: "pointer" } } as Any);
      } catch (e) {
        const msg = String((e as Error)?.message ?? e);
        if (/undefined symbol|symbol not found|Failed to register symbol/i.test(msg)) return 0;
        throw e;
      }
      // never closed: the address must stay valid for the life of the process
      pin(path);
      const v = Number(Deno.UnsafePointer.value(lib.symbols.s));
      addressLibs.set(key, v);
      return v;
    },
    callback(sig: Signature, fn: NeutralFn): FfiCallback {
      // sizes reach an allocator as numbers (one above 2^53 rounded, ref/types.ts); pointers stay exact
      const conv = sig.params.map((t) => (t === "ptr" ? num : t === "usize" || t === "u64" ? Number : null));
      const n = sig.params.length;
      const [c0, c1, c2] = [
        conv[0] ?? ((v: Any) => v),
        conv[1] ?? ((v: Any) => v),
        conv[2] ?? ((v: Any) => v),
      ];
      let tramp: NeutralFn;
      if (n === 1) tramp = (a: Any) => fn(c0(a));
      else if (n === 2) tramp = (a: Any, b: Any) => fn(c0(a), c1(b));
      else if (n === 3) tramp = (a: Any, b: Any, d: Any) => fn(c0(a), c1(b), c2(d));
      else throw new RangeError(`callback with ${n} parameters is not supported (1..3)`);
      if (sig.result === "ptr" || sig.result === "usize" || sig.result === "u64") {
        const inner = tramp;
        tramp = (a: Any, b: Any, d: Any) => {
          try {
            return big(inner(a, b, d));
          } catch {
            return 0n; // a throw in a Deno callback panics the runtime: never let one escape
          }
        };
      }
      // A pointer or size result is declared "u64" (the same register on 64-bit), never "usize": when an
      // exception escapes the callback anyway (a stack overflow thrown before the try above is entered,
      // e.g. a hook that C calls back without end: cpython-facts.md §2.7), Deno 2.9 sets a u64 result to 0
      // and rethrows the exception in the caller, but for a usize/isize result it panics ("internal error:
      // entered unreachable code", ext/ffi/callback.rs) and the whole process dies.
      const def = denoDef(sig);
      if (def.result === "usize") def.result = "u64";
      const cb = new Deno.UnsafeCallback(def, tramp as Any);
      return { ptr: Number(Deno.UnsafePointer.value(cb.pointer)), close: () => cb.close() };
    },
    fnPointer(ptr: number, sig: Signature): NeutralFn {
      const thunk = thunks.get(sigKey(sig));
      if (thunk) {
        // thunk(fn, ...args): a dlopen'ed symbol, V8's fast call (UnsafeFnPointer.call is ~1.1 us)
        const args = sig.params.map((_, i) => `a${i}`).join(", ");
        const sep = args ? ", " : "";
        return new Function("t", "P", `return function fnptr(${args}) { return t(P${sep}${args}); };`)(
          thunk,
          ptr,
        );
      }
      const fp: Any = new Deno.UnsafeFnPointer(toPointer(ptr), denoDef(sig));
      return wrap((...a: Any[]) => fp.call(...a), sig);
    },
    registerThunk(sig: Signature, thunk: NeutralFn): void {
      thunks.set(sigKey(sig), thunk);
    },
    view(ptr: number, len: number): ArrayBuffer {
      return Deno.UnsafePointerView.getArrayBuffer(toPointer(ptr), len);
    },
    readPointer(addr: number): number | bigint {
      return num(new Deno.UnsafePointerView(toPointer(addr)).getBigUint64(0));
    },
    cstring(addr: number): string {
      return Deno.UnsafePointerView.getCString(toPointer(addr));
    },
  };
}
