import { test } from "node:test";
import assert from "node:assert/strict";
import { ffi } from "./backend.ts";
import { spawnSync } from "node:child_process";
import { LIBPYTHON, NO_LIBPYTHON } from "./libpython_fixture.ts";
import { defaultPython } from "../../core/python.ts";

const LIBC = "libc.so.6";
const table = {
  malloc: { params: ["usize"], result: "ptr" },
  free: { params: ["ptr"], result: "void" },
  strlen: { params: ["ptr"], result: "usize" },
  getenv: { params: ["buf"], result: "ptr" },
  qsort: { params: ["ptr", "usize", "usize", "ptr"], result: "void" },
  no_such_symbol_allocspec: { params: [], result: "void" },
} as const;
const lib = ffi.open(LIBC, table);
const s = lib.symbols as Record<string, (...a: any[]) => any>;

test("backend: runtime matches the host", () => {
  assert.equal(ffi.runtime, (globalThis as any).Bun ? "bun" : "deno");
});

test("backend: pointers are numbers, NULL is 0, memory views reach C memory", () => {
  const p = s.malloc(64);
  assert.equal(typeof p, "number");
  assert.ok(p > 4096);
  const u8 = new Uint8Array(ffi.view(p, 6));
  u8.set([104, 101, 108, 108, 111, 0]); // "hello\0"
  assert.equal(s.strlen(p), 5);
  assert.equal(ffi.cstring(p), "hello");
  assert.equal(s.malloc(2n ** 62n), 0); // NULL as 0
  s.free(p);
  s.free(0); // free(NULL)
});

test("backend: usize arguments accept number and bigint", () => {
  const a = s.malloc(16), b = s.malloc(16n);
  assert.ok(a !== 0 && b !== 0 && a !== b);
  s.free(a);
  s.free(b);
});

test("backend: missing symbols are undefined, present ones have addresses", () => {
  assert.equal(s.no_such_symbol_allocspec, undefined);
  assert.equal(lib.address("no_such_symbol_allocspec"), 0);
  const m = lib.address("malloc");
  assert.ok(m > 0);
  assert.equal(ffi.symbolAddress(LIBC, "malloc"), m);
  assert.equal(ffi.symbolAddress(LIBC, "no_such_symbol_allocspec"), 0);
});

/** PY_VERSION_HEX of the python3 asked by default (sys.hexversion), or null when python3 does not run. */
function pythonHexversion(): number | null {
  const r = spawnSync(defaultPython(), ["-c", "import sys; print(sys.hexversion)"], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

test("backend: data symbol address (libpython's Py_Version)", { skip: NO_LIBPYTHON }, () => {
  const hex = pythonHexversion();
  assert.ok(hex !== null, "python3 found libpython but does not report sys.hexversion");
  // const unsigned long Py_Version = PY_VERSION_HEX (exported since 3.11)
  const a = ffi.symbolAddress(LIBPYTHON!, "Py_Version");
  assert.ok(a > 0);
  assert.equal(ffi.readPointer(a), hex);
  assert.equal(new Uint32Array(ffi.view(a, 4))[0], hex);
});

test("backend: buf arguments pass TypedArrays (getenv)", () => {
  const name = new TextEncoder().encode("ALLOCSPEC_FFI_NO_SUCH_VAR\0");
  assert.equal(s.getenv(name), 0);
  const path = new TextEncoder().encode("PATH\0");
  const p = s.getenv(path);
  assert.ok(p > 0);
  assert.equal(ffi.cstring(p), process.env.PATH);
});

test("backend: fnPointer calls C through an address", () => {
  const malloc = ffi.fnPointer(lib.address("malloc"), table.malloc);
  const free = ffi.fnPointer(lib.address("free"), table.free);
  const p = malloc(32);
  assert.ok(p > 0);
  free(p);
});

test("backend: callbacks (qsort comparator) get numbers and return results", () => {
  const n = 5;
  const base = s.malloc(4 * n);
  const arr = new Int32Array(ffi.view(base, 4 * n));
  arr.set([5, 3, 9, 1, 7]);
  const seen: unknown[] = [];
  const cb = ffi.callback({ params: ["ptr", "ptr"], result: "i32" }, (a: number, b: number) => {
    seen.push(typeof a);
    const x = new Int32Array(ffi.view(a, 4))[0], y = new Int32Array(ffi.view(b, 4))[0];
    return x - y;
  });
  s.qsort(base, n, 4, cb.ptr);
  assert.deepEqual([...new Int32Array(ffi.view(base, 4 * n))], [1, 3, 5, 7, 9]);
  assert.ok(seen.length > 0 && seen.every((t) => t === "number"));
  cb.close();
  s.free(base);
});

test("backend: fnPointer through thunks (Deno) and through the runtime's pointer-call API give the same results", async () => {
  const { enableFnCallThunks } = await import("./fncall.ts");
  assert.equal(enableFnCallThunks(), ffi.runtime === "deno"); // Bun's CFunction is fast: no thunks there
  const sig = { params: ["ptr", "usize"], result: "ptr" } as const; // PyMemAllocatorEx.malloc
  const cb = ffi.callback(sig, (ctx: number, n: number) => ctx + n);
  const viaBackend = ffi.fnPointer(cb.ptr, sig);
  assert.equal(viaBackend(1000, 24), 1024);
  if (ffi.runtime === "deno") {
    const { createDenoBackend } = await import("./deno_backend.ts");
    const plain = createDenoBackend(); // no thunks registered: Deno.UnsafeFnPointer
    assert.equal(plain.fnPointer(cb.ptr, sig)(2000, 48), 2048);
  }
  cb.close();
});
