import { test } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "../core/child.ts";
import * as native from "./mod.ts";
import {
  HANDLE_BASE,
  HANDLE_END,
  isHandleAddress,
  loadPep445Library,
  openNative,
  PyMemDebugError,
} from "./mod.ts";
import { LIBPYTHON, NO_LIBPYTHON } from "./ffi/libpython_fixture.ts";

test("native mod: the public surface", () => {
  for (
    const name of [
      "openNative",
      "loadPep445Library",
      "symbolAddress",
      "entryTableOf",
      "buildNative",
      "libraryPath",
      "NativePep445",
      "ForeignPep445",
      "PyMemDebugError",
      "checkSetAllocators",
      "useCase3",
      "ffi",
    ]
  ) {
    assert.ok(name in native, `missing export ${name}`);
  }
});

test("native mod: handles live above the 47-bit address space and below 2^53", () => {
  assert.equal(HANDLE_BASE, 2 ** 52);
  assert.ok(HANDLE_END <= 2 ** 53);
  const n = openNative();
  const ctx = { tag: "x" };
  const old = n.PyMem_GetAllocator(0);
  n.PyMem_SetAllocator(0, { ...old, ctx, malloc: (_c: any, s: number) => old.malloc(old.ctx, s) });
  // what C holds is a handle: read the raw struct through the library's Get
  const buf = new Uint32Array(10);
  (n as any).lib.symbols.PyMem_GetAllocator(0, buf);
  const raw = buf[0] + buf[1] * 2 ** 32;
  assert.ok(isHandleAddress(raw), `ctx crossed as 0x${raw.toString(16)}`);
  assert.equal(n.PyMem_GetAllocator(0).ctx, ctx);
  const p = n.PyMem_RawMalloc(8);
  assert.ok(p > 0 && p < 2 ** 47 && !isHandleAddress(p));
  n.PyMem_RawFree(p);
  n.close();
});

test("native mod: native and libpython side by side (same interface)", { skip: NO_LIBPYTHON }, () => {
  const n = openNative({ profile: "cpython" });
  const py = loadPep445Library(LIBPYTHON!);
  py.initializePython();
  for (const impl of [n, py]) {
    const p = impl.PyMem_Malloc(32);
    impl.memory.write(p, [1, 2, 3]);
    assert.deepEqual([...impl.memory.read(p, 3)], [1, 2, 3]);
    impl.PyMem_Free(p);
  }
  // a TS hook installed in libpython calling native's allocator (cross-library, through C pointers)
  const nraw = n.PyMem_GetAllocator(0);
  const pyraw = py.PyMem_GetAllocator(0);
  let calls = 0;
  py.PyMem_SetAllocator(0, {
    ctx: nraw.ctx,
    malloc: (c, s) => (calls++, nraw.malloc(c, s)),
    calloc: (c, a, b) => (calls++, nraw.calloc!(c, a, b)),
    realloc: (c, p, s) => (calls++, nraw.realloc(c, p, s)),
    free: (c, p) => (calls++, nraw.free(c, p)),
  });
  const q = py.PyMem_RawMalloc(100);
  py.PyMem_RawFree(q);
  py.PyMem_SetAllocator(0, pyraw);
  assert.equal(calls, 2);
  py.close();
  n.close();
});

test("native mod: PyMemDebugError carries CPython's text", () => {
  const n = openNative();
  n.PyMem_SetupDebugHooks();
  const p = n.PyObject_Malloc(8);
  assert.throws(
    () => n.PyMem_RawFree(p),
    (e) => e instanceof PyMemDebugError && e.kind === "bad_id" && /verified using API 'r'/.test(e.text),
  );
  n.PyObject_Free(p);
  n.close();
});

for (
  const [which, fatal] of [
    ["underflow", "Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte\n"],
    [
      "bad_id",
      "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'\n",
    ],
    [
      "no_gil",
      "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL\nPython runtime state: initialized\n",
    ],
  ] as const
) {
  test(`native mod: abort mode, ${which}: SIGABRT with the Fatal line`, () => {
    const script = new URL("./ffi/abort_child.ts", import.meta.url).pathname;
    const r = runScript(script, [which], { inherit: true });
    assert.equal(r.signal, "SIGABRT", `status ${r.status}, stderr: ${r.stderr}`);
    assert.ok(r.stderr.includes(fatal), r.stderr);
    assert.ok(!r.stdout.includes("survived"));
  });
}
