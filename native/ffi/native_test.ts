import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openNative } from "./native.ts";
import { loadPep445Library } from "./foreign.ts";
import { ffi } from "./backend.ts";
import { symbolAddress } from "./library.ts";
import { checkSetAllocators, useCase3 } from "./hook_checks.ts";
import { libraryPath } from "../build.ts";
import { findCompiler } from "../../core/cbuild.ts";
import { runScript } from "../../core/child.ts";
import { type Pep445, type PyMemAllocatorEx, PyMemDebugError } from "../../ref/types.ts";
import { LIBPYTHON, NO_LIBPYTHON } from "./libpython_fixture.ts";

/** The absolute path of the libc this process has mapped (any shared library that is not allocspec). */
function mappedLibc(): string {
  const m = readFileSync("/proc/self/maps", "utf8").match(/\s(\/\S*\/libc\.so\.6)$/m);
  assert.ok(m, "libc.so.6 is not in /proc/self/maps");
  return m[1];
}

const libc = ffi.open("libc.so.6", {
  malloc: { params: ["usize"], result: "ptr" },
  calloc: { params: ["usize", "usize"], result: "ptr" },
  realloc: { params: ["ptr", "usize"], result: "ptr" },
  free: { params: ["ptr"], result: "void" },
}).symbols as Record<string, (...a: any[]) => any>;
const LIBC_FNS = {
  malloc: symbolAddress("libc.so.6", "malloc"),
  calloc: symbolAddress("libc.so.6", "calloc"),
  realloc: symbolAddress("libc.so.6", "realloc"),
  free: symbolAddress("libc.so.6", "free"),
};
const hex = (p: number) => "0x" + p.toString(16);

test("native: openNative builds, loads and resets; defaults per profile", () => {
  const n = openNative();
  assert.equal(n.libPath, libraryPath("release"));
  assert.equal(n.name, "native");
  assert.equal(n.profile, "cpython");
  assert.equal(n.geometry, "cpython310");
  n.reset({ profile: "pep445-2013" });
  assert.equal(n.profile, "pep445-2013");
  assert.equal(n.geometry, "pep445");
  const m = openNative({ profile: "pep445-2013", geometry: "cpython310" });
  assert.equal(m.geometry, "cpython310");
  m.close();
  m.close(); // idempotent
});

test("native: every entry point, shipped and 2013 API forms", () => {
  const n = openNative();
  const pairs: [
    (s: number) => number,
    (p: number, s: number) => number,
    (a: number, b: number) => number,
    (p: number) => void,
  ][] = [
    [
      (s) => n.PyMem_RawMalloc(s),
      (p, s) => n.PyMem_RawRealloc(p, s),
      (a, b) => n.PyMem_RawCalloc(a, b),
      (p) => n.PyMem_RawFree(p),
    ],
    [
      (s) => n.PyMem_Malloc(s),
      (p, s) => n.PyMem_Realloc(p, s),
      (a, b) => n.PyMem_Calloc(a, b),
      (p) => n.PyMem_Free(p),
    ],
    [
      (s) => n.PyObject_Malloc(s),
      (p, s) => n.PyObject_Realloc(p, s),
      (a, b) => n.PyObject_Calloc(a, b),
      (p) => n.PyObject_Free(p),
    ],
  ];
  for (const [malloc, realloc, calloc, free] of pairs) {
    const p = malloc(24);
    n.memory.write(p, [9, 8, 7]);
    const q = realloc(p, 2000);
    assert.deepEqual([...n.memory.read(q, 3)], [9, 8, 7]);
    free(q);
    const c = calloc(7, 9);
    assert.ok(n.memory.read(c, 63).every((b) => b === 0));
    free(c);
    const z1 = malloc(0), z2 = malloc(0);
    assert.ok(z1 !== 0 && z2 !== 0 && z1 !== z2);
    free(z1);
    free(z2);
    assert.equal(malloc(2n ** 63n as any), 0);
  }
  // shipped Get/Set, arena, 2013 forms
  for (const d of [0, 1, 2]) {
    const a = n.PyMem_GetAllocator(d);
    assert.equal(typeof a.malloc, "function");
    assert.equal(typeof a.calloc, "function");
    n.PyMem_SetAllocator(d, a);
    assert.equal(n.PyMem_GetAllocator(d).malloc, a.malloc);
  }
  const ar = n.PyObject_GetArenaAllocator();
  n.PyObject_SetArenaAllocator(ar);
  assert.equal(n.PyObject_GetArenaAllocator().alloc, ar.alloc);
  const ar13 = n._PyObject_GetArenaAllocators();
  assert.equal(ar13.alloc, ar.alloc);
  assert.equal(ar13.free, ar.free);
  n._PyObject_SetArenaAllocators(ar13.ctx, ar13.alloc, ar13.free);
  for (
    const [get, set] of [
      [() => n.PyMem_GetRawAllocators(), (a: any) => n.PyMem_SetRawAllocators(a)],
      [() => n.PyMem_GetAllocators(), (a: any) => n.PyMem_SetAllocators(a)],
      [() => n.PyObject_GetAllocators(), (a: any) => n.PyObject_SetAllocators(a)],
    ] as const
  ) {
    const a = get();
    assert.deepEqual(Object.keys(a).sort(), ["ctx", "free", "malloc", "realloc"]);
    set(a);
  }
  // a domain set through the 2013 API has calloc NULL; the *Calloc entry points still zero
  assert.equal(n.PyMem_GetAllocator(0).calloc, null);
  const c = n.PyMem_RawCalloc(4, 4);
  assert.ok(n.memory.read(c, 16).every((b) => b === 0));
  n.PyMem_RawFree(c);
  n.close();
});

test("native: use case 1 (replace RAW and MEM, keep pymalloc) with C allocators and a C arena", () => {
  const n = openNative({ profile: "pep445-2013" });
  const glue = n.libcAllocator(LIBC_FNS);
  n.PyMem_SetRawAllocators(glue);
  n.PyMem_SetAllocators(glue);
  const arena = n.PyObject_GetArenaAllocator();
  n.PyObject_SetArenaAllocator(arena);
  assert.equal(n.PyMem_GetRawAllocators().malloc, glue.malloc); // raw pointers, cached wrappers
  const p = n.PyMem_Malloc(100), o = n.PyObject_Malloc(16);
  n.PyMem_Free(p);
  n.PyObject_Free(o);
  assert.equal(n.stressRaw(4, 200, 1), 0); // RAW is pure C: threads allowed
  n.close();
});

/** A TS allocator with the PEP's "padding" ctx, over libc (PEP 445 use case 1/2 examples). */
function paddedTs(
  counts: { malloc: number; realloc: number; free: number; arena: number; arenaFree: number },
) {
  const alloc: PyMemAllocatorEx = {
    ctx: { padding: 2 },
    malloc: (ctx, size) => (counts.malloc++, libc.malloc(size + ctx.padding)),
    calloc: null,
    realloc: (ctx, ptr, size) => (counts.realloc++, libc.realloc(ptr, size + ctx.padding)),
    free: (_ctx, ptr) => {
      counts.free++;
      libc.free(ptr);
    },
  };
  const arena = {
    ctx: { padding: 10 },
    alloc: (ctx: any, size: number) => (counts.arena++, libc.malloc(size + ctx.padding)),
    free: (_ctx: any, ptr: number, _size: number) => {
      counts.arenaFree++;
      libc.free(ptr);
    },
  };
  return { alloc, arena };
}

test("native: use case 1 with TS allocators (RAW, MEM and arenas in TS; pymalloc kept)", () => {
  const n = openNative({ profile: "pep445-2013" });
  const counts = { malloc: 0, realloc: 0, free: 0, arena: 0, arenaFree: 0 };
  const { alloc, arena } = paddedTs(counts);
  n.PyMem_SetRawAllocators(alloc);
  n.PyMem_SetAllocators(alloc);
  n._PyObject_SetArenaAllocators(arena.ctx, arena.alloc, arena.free);
  assert.equal(n.PyMem_GetRawAllocators().ctx, alloc.ctx); // identity through a handle
  assert.equal(n._PyObject_GetArenaAllocators().ctx, arena.ctx);
  assert.equal(n._PyObject_GetArenaAllocators().alloc, arena.alloc);
  const objs = Array.from({ length: 50 }, () => n.PyObject_Malloc(64));
  assert.equal(counts.arena, 1); // pymalloc asked our arena allocator for one arena
  assert.equal(counts.malloc, 0); // small objects come from pymalloc, not from MEM
  const p = n.PyMem_Malloc(100);
  const q = n.PyMem_RawRealloc(n.PyMem_RawMalloc(10), 20);
  assert.equal(counts.malloc, 2);
  assert.equal(counts.realloc, 1);
  n.PyMem_Free(p);
  n.PyMem_RawFree(q);
  for (const o of objs) n.PyObject_Free(o);
  assert.equal(counts.free, 2);
  assert.throws(() => n.stressRaw(2, 10, 1), /refused: the RAW allocator calls into JS/);
  n.close();
});

test("native: use case 2 (override pymalloc: all three domains) with TS and with C allocators", () => {
  const n = openNative({ profile: "pep445-2013" });
  const counts = { malloc: 0, realloc: 0, free: 0, arena: 0, arenaFree: 0 };
  const { alloc } = paddedTs(counts);
  n.PyMem_SetRawAllocators(alloc);
  n.PyMem_SetAllocators(alloc);
  n.PyObject_SetAllocators(alloc);
  const o = n.PyObject_Malloc(16);
  assert.equal(counts.malloc, 1);
  n.PyObject_Free(o);
  assert.equal(counts.free, 1);
  const glue = n.libcAllocator(LIBC_FNS);
  for (const d of [0, 1, 2]) n.PyMem_SetAllocator(d, glue);
  const o2 = n.PyObject_Calloc(4, 4);
  assert.ok(n.memory.read(o2, 16).every((b) => b === 0));
  n.PyObject_Free(o2);
  assert.equal(counts.malloc, 1); // C now, no JS on the path
  assert.equal(n.stressRaw(2, 50, 7), 0); // JS mark cleared when C went back into RAW
  n.close();
});

test("native: use case 3 with C hooks (allocspec_passthrough_install), nested", () => {
  const n = openNative();
  n.passthroughInstall(3);
  const before = n.passthroughCalls();
  const p = n.PyMem_Malloc(10);
  n.PyMem_Free(p);
  assert.equal(n.passthroughCalls() - before, 2);
  assert.throws(() => n.passthroughInstall(1), /already installed/);
  n.passthroughUninstall();
  assert.throws(() => n.passthroughInstall(0), RangeError);
  n.close();
});

test("native: use case 3 with C hooks on libpython (allocspec_passthrough_install)", {
  skip: NO_LIBPYTHON,
}, () => {
  const n = openNative();
  const py = loadPep445Library(LIBPYTHON!);
  py.initializePython();
  n.passthroughInstall(1, py.foreignApi());
  const q = py.PyMem_RawMalloc(10);
  py.PyMem_RawFree(q);
  assert.ok(n.passthroughCalls() >= 2);
  n.passthroughUninstall();
  py.close();
  assert.throws(() => n.passthroughInstall(0), RangeError);
  n.close();
});

test("native: use case 3 with TS hooks: test_setallocators in every domain, both profiles, over debug hooks", () => {
  for (const profile of ["cpython", "pep445-2013"] as const) {
    const n = openNative({ profile });
    for (const d of [0, 1, 2]) checkSetAllocators(n, d);
    n.PyMem_SetupDebugHooks();
    for (const d of [0, 1, 2]) checkSetAllocators(n, d);
    n.close();
  }
});

test("native: TS hooks stacked over C pass-through hooks count every call", () => {
  const n = openNative();
  n.passthroughInstall(1);
  const counts = useCase3(n, () => {
    const a = n.PyMem_RawMalloc(8), b = n.PyMem_Malloc(8), c = n.PyObject_Malloc(8);
    n.PyMem_RawFree(a);
    n.PyMem_Free(b);
    n.PyObject_Free(c);
  });
  assert.deepEqual(counts.malloc, [1, 1, 1]);
  assert.deepEqual(counts.free, [1, 1, 1]);
  assert.ok(n.passthroughCalls() >= 6);
  n.passthroughUninstall();
  n.close();
});

function violation(fn: () => void): PyMemDebugError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PyMemDebugError, `expected PyMemDebugError, got ${e}`);
    return e;
  }
  assert.fail("expected a PyMemDebugError");
}

test("native: debug hooks detect overflow with CPython's exact text (recorder, throw mode)", () => {
  const n = openNative({ profile: "cpython" });
  n.PyMem_SetupDebugHooks();
  const p = n.PyMem_Malloc(16);
  n.memory.write(p + 16, [0x78]);
  const e = violation(() => n.PyMem_Free(p));
  assert.equal(e.kind, "bad_trailing_pad");
  assert.equal(e.address, p);
  assert.equal(e.func, "_PyMem_DebugRawFree");
  assert.equal(e.message, "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte");
  assert.equal(
    e.text,
    `Debug memory block at address p=${hex(p)}: API 'm'\n` +
      "    16 bytes originally requested\n" +
      "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n" +
      `    The 8 pad bytes at tail=${hex(p + 16)} are not all FORBIDDENBYTE (0xfd):\n` +
      "        at tail+0: 0x78 *** OUCH\n" +
      [1, 2, 3, 4, 5, 6, 7].map((i) => `        at tail+${i}: 0xfd\n`).join("") +
      "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n" +
      "\n" +
      "Enable tracemalloc to get the memory block allocation traceback\n" +
      "\n" +
      "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n" +
      "Python runtime state: initialized\n" +
      "\n",
  );
  // the free had no effect: the block is still there; repair it and free it for real
  n.memory.write(p + 16, [0xfd]);
  n.PyMem_Free(p);
  n.close();
});

test("native: debug hooks detect underflow, bad id and no GIL", () => {
  const n = openNative({ profile: "cpython" });
  n.PyMem_SetupDebugHooks();
  const p = n.PyMem_Malloc(16);
  n.memory.write(p - 1, [0x78]);
  const u = violation(() => n.PyMem_Free(p));
  assert.equal(u.kind, "bad_leading_pad");
  assert.ok(
    u.text.includes(
      "    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):\n" +
        [7, 6, 5, 4, 3, 2].map((i) => `        at p-${i}: 0xfd\n`).join("") +
        "        at p-1: 0x78 *** OUCH\n" +
        "    Because memory is corrupted at the start, the count of bytes requested\n" +
        "       may be bogus, and checking the trailing pad bytes may segfault.\n",
    ),
    u.text,
  );
  assert.match(u.text, /Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte\n/);
  n.memory.write(p - 1, [0xfd]);
  const b = violation(() => n.PyObject_Free(p));
  assert.equal(b.kind, "bad_id");
  assert.equal(b.apiId, "m".charCodeAt(0));
  assert.equal(b.verifiedId, "o".charCodeAt(0));
  assert.match(
    b.text,
    /Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'\n/,
  );
  const r = violation(() => n.PyMem_Realloc(n.PyObject_Malloc(8), 32));
  assert.match(r.message, /_PyMem_DebugRawRealloc: bad ID: Allocated using API 'o', verified using API 'm'/);
  n.PyMem_Free(p);
  n.setGilHeld(false);
  const g = violation(() => n.PyMem_Malloc(10));
  assert.equal(g.kind, "no_gil");
  assert.equal(
    g.text,
    "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL\nPython runtime state: initialized\n\n",
  );
  const raw = n.PyMem_RawMalloc(10); // RAW needs no GIL
  n.PyMem_RawFree(raw);
  n.setGilHeld(true);
  n.close();
});

test("native: abort mode lets the C default print and abort (checked in a child process)", () => {
  const script = new URL("./abort_child.ts", import.meta.url).pathname;
  const r = runScript(script, ["overflow"], { inherit: true });
  assert.equal(r.signal, "SIGABRT", `status ${r.status}, stderr: ${r.stderr}`);
  assert.ok(
    r.stderr.includes(
      "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n",
    ),
    r.stderr,
  );
  assert.ok(r.stderr.includes("    16 bytes originally requested\n"));
  assert.ok(r.stdout.includes("about to free"));
  assert.ok(!r.stdout.includes("survived"));
});

test("native: allocatorFromStruct wraps C structs (shipped and 2013); Set passes raw pointers", () => {
  const n = openNative();
  const glue = n.libcAllocator(LIBC_FNS);
  // build a 2013 PyMemAllocators {ctx, malloc, realloc, free} in C memory from the glue's fields
  const src = n.symbol("allocspec_abi_version"); // any address works as a smoke check of symbol()
  assert.ok(src > 0);
  const shipped = n.PyMem_RawMalloc(40);
  const s13 = n.PyMem_RawMalloc(32);
  const glueAddr = (n as any).lib.symbols.allocspec_libc_allocator(
    LIBC_FNS.malloc,
    LIBC_FNS.calloc,
    LIBC_FNS.realloc,
    LIBC_FNS.free,
  );
  const five = n.memory.read(glueAddr, 40);
  n.memory.write(shipped, five);
  n.memory.write(s13, [...five.subarray(0, 16), ...five.subarray(24, 40)]);
  const a = n.allocatorFromStruct(shipped);
  assert.equal(a.malloc, glue.malloc);
  assert.equal(a.calloc, glue.calloc);
  const b = n.allocatorFromStruct(s13, "2013");
  assert.equal(b.calloc, null);
  assert.equal(b.realloc, glue.realloc);
  n.PyMem_SetAllocator(2, b);
  const z = n.PyObject_Calloc(8, 8);
  assert.ok(n.memory.read(z, 64).every((x) => x === 0));
  n.PyObject_Free(z);
  const direct = b.malloc(b.ctx, 8); // the wrapper calls C
  b.free(b.ctx, direct);
  assert.throws(() => n.allocatorFromStruct(0), TypeError);
  assert.throws(() => n.allocatorFromStruct(shipped, "2014" as any), TypeError);
  assert.throws(
    () => n.libcAllocator({ ...LIBC_FNS, malloc: 0 }),
    /fns\.malloc must be the address of a C function/,
  );
  n.close();
});

test("native: bad input is refused with clear errors", () => {
  const n = openNative();
  const a = n.PyMem_GetAllocator(0);
  assert.throws(() => n.PyMem_SetAllocator(0, { ...a, realloc: null as any }), {
    name: "TypeError",
    message: /PyMem_SetAllocator: allocator\.realloc must be a function, got null/,
  });
  assert.throws(
    () => n.PyMem_SetRawAllocators({ ...a, free: null as any }),
    /PyMem_SetRawAllocators: allocators\.free must be a function/,
  );
  assert.throws(
    () => n._PyObject_SetArenaAllocators(null, null as any, () => {}),
    /malloc must be a function/,
  );
  assert.deepEqual(n.PyMem_GetAllocator(-1), {
    ctx: null,
    malloc: null,
    calloc: null,
    realloc: null,
    free: null,
  });
  n.PyMem_SetAllocator(3, { ...a, malloc: (_c: any, s: number) => libc.malloc(s) }); // ignored
  assert.equal(n.PyMem_GetAllocator(0).malloc, a.malloc);
  assert.throws(() => n.PyMem_Malloc(-1), RangeError);
  assert.throws(() => n.PyMem_Malloc(2 ** 53), RangeError);
  assert.throws(() => n.PyMem_Malloc(undefined as any), TypeError);
  assert.throws(
    () => openNative({ libPath: "/nonexistent/liballocspec.so" }),
    /library not found: \/nonexistent\/liballocspec\.so/,
  );
  assert.throws(
    () => openNative({ libPath: mappedLibc() }),
    /does not export allocspec_abi_version: not an allocspec build/,
  );
  assert.throws(() => openNative({ profile: "cpython2" as any }), TypeError);
  if (!(process.env.LD_PRELOAD ?? "").includes("libasan")) {
    assert.throws(
      () => openNative({ variant: "asan" }),
      /needs the ASan runtime loaded first: run with LD_PRELOAD=/,
    );
  }
  assert.throws(() => n.replay(new Uint8Array(10)), /shorter than the 32-byte A445TRC1 header/);
  assert.throws(() => n.stressRaw(0, 1, 1), RangeError);
  n.close();
});

/** The C compiler native/build.ts would use, or null (the tests that compile are skipped with {@link NO_CC}). */
const CC = (() => {
  try {
    return findCompiler();
  } catch {
    return null;
  }
})();
const NO_CC = CC ? false : "no C compiler (install gcc or clang, or set CC)";

test("native: an allocspec ABI version mismatch is refused", { skip: NO_CC }, () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-abi-"));
  const c = join(dir, "abi2.c"), so = join(dir, "libabi2.so");
  try {
    writeFileSync(c, "int allocspec_abi_version(void) { return 2; }\n");
    const r = spawnSync(CC!, ["-shared", "-fPIC", "-o", so, c], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.throws(
      () => openNative({ libPath: so }),
      /has allocspec ABI version 2, this loader speaks 1: rebuild/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("native: ctx handles and callbacks are released by reset(); Get then sees C again", () => {
  const n = openNative();
  const ctx = { mine: true };
  const old = n.PyMem_GetAllocator(1);
  const hook = { ...old, ctx, malloc: (_c: any, s: number) => old.malloc(old.ctx, s) };
  n.PyMem_SetAllocator(1, hook);
  const g = n.PyMem_GetAllocator(1);
  assert.equal(g.ctx, ctx);
  assert.equal(g.malloc, hook.malloc);
  n.reset();
  const d = n.PyMem_GetAllocator(1);
  assert.notEqual(d.malloc, hook.malloc);
  assert.equal(typeof d.ctx === "number" || d.ctx === null, true);
  n.close();
});

test("native: a throwing TS allocator gives NULL to C and the error to the caller", () => {
  const n = openNative();
  const old = n.PyMem_GetAllocator(0);
  const boom = new RangeError("no memory in TS");
  n.PyMem_SetAllocator(0, {
    ...old,
    malloc: () => {
      throw boom;
    },
  });
  assert.throws(() => n.PyMem_RawMalloc(8), (e) => e === boom);
  n.PyMem_SetAllocator(0, old);
  n.close();
});

/** An A445TRC1 trace: header + 20-byte records. */
function trace(
  records: [op: number, domain: number, slot: number, src: number, size: number, elsize: number][],
  nslots: number,
): Uint8Array {
  const b = new Uint8Array(32 + 20 * records.length);
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode("A445TRC1"));
  dv.setUint32(8, 1, true);
  dv.setUint32(12, nslots, true);
  dv.setBigUint64(16, BigInt(records.length), true);
  records.forEach(([op, domain, slot, src, size, elsize], i) => {
    const o = 32 + 20 * i;
    dv.setUint8(o, op);
    dv.setUint8(o + 1, domain);
    dv.setUint32(o + 4, slot, true);
    dv.setUint32(o + 8, src, true);
    dv.setUint32(o + 12, size, true);
    dv.setUint32(o + 16, elsize, true);
  });
  return b;
}

test("native: replay through libpython's entry points", { skip: NO_LIBPYTHON }, () => {
  const n = openNative();
  const NONE = 0xffffffff;
  const t = trace([[0, 1, 0, NONE, 16, 0], [2, 1, 0, 0, 64, 0], [3, 1, 0, NONE, 0, 0]], 1);
  const py = loadPep445Library(LIBPYTHON!);
  py.initializePython();
  const r = n.replay(t, { entries: py.entryTable() });
  assert.equal(r.ops, 3);
  assert.equal(r.failed, 0);
  py.close();
  n.close();
});

test("native: replay (this library, a direct C and TS allocator) and tracing", () => {
  const n = openNative();
  const NONE = 0xffffffff;
  const t = trace([
    [0, 0, 0, NONE, 16, 0],
    [1, 1, 1, NONE, 4, 4],
    [2, 2, 2, NONE, 100, 0],
    [2, 0, 0, 0, 64, 0],
    [3, 0, 0, NONE, 0, 0],
    [3, 1, 1, NONE, 0, 0],
    [3, 2, 2, NONE, 0, 0],
  ], 3);
  const r = n.replay(t, { touch: true });
  assert.equal(r.ops, 7);
  assert.equal(r.failed, 0);
  assert.ok(r.peakLiveBytes >= 16 + 16 + 100);
  assert.equal(n.replay(t, { direct: n.libcAllocator(LIBC_FNS) }).failed, 0);
  let calls = 0;
  const ts: PyMemAllocatorEx = {
    ctx: null,
    malloc: (_c, s) => (calls++, libc.malloc(s)),
    calloc: (_c, a, b) => (calls++, libc.calloc(a, b)),
    realloc: (_c, p, s) => (calls++, libc.realloc(p, s)),
    free: (_c, p) => (calls++, libc.free(p)),
  };
  assert.equal(n.replay(t, { direct: ts }).ops, 7);
  assert.equal(calls, 7);
  const bad = t.slice();
  bad[0] = 0x42;
  assert.throws(() => n.replay(bad), /bad magic/);
  assert.throws(() => n.replay(t.subarray(0, 40)), /announces 7 records/);

  n.traceInstall(1000);
  const a = n.PyMem_Malloc(10), b = n.PyObject_Calloc(2, 3);
  n.PyMem_Free(a);
  n.PyObject_Free(b);
  const recorded = n.traceUninstall();
  assert.ok(recorded >= 4);
  const dir = mkdtempSync(join(tmpdir(), "allocspec-trace-"));
  const file = join(dir, "t.a445");
  n.traceWrite(file);
  assert.ok(existsSync(file));
  const bytes = new Uint8Array(readFileSync(file));
  rmSync(dir, { recursive: true, force: true });
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "A445TRC1");
  assert.equal(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(16, true)), recorded);
  assert.equal(n.replay(bytes).ops, recorded);
  n.close();
});

test("native: debug hooks set up over a TS RAW allocator keep RAW marked as JS when reinstalled", () => {
  const n = openNative();
  const old = n.PyMem_GetAllocator(0);
  n.PyMem_SetAllocator(0, { ...old, malloc: (c: any, s: number) => old.malloc(c, s) });
  n.PyMem_SetupDebugHooks();
  const dbg = n.PyMem_GetAllocator(0); // C debug functions whose ctx leads to the TS allocator
  n.PyMem_SetAllocator(0, dbg);
  assert.throws(() => n.stressRaw(2, 10, 1), /refused/);
  n.reset();
  assert.equal(n.stressRaw(2, 10, 1), 0);
  n.close();
});

test("native: loadPep445Library over the native build, 2013 names (any library with the ABI)", () => {
  const n = openNative({ profile: "pep445-2013" });
  const lib = loadPep445Library(n.libPath, { abi: "2013", profile: "pep445-2013" });
  const raw = lib.PyMem_GetRawAllocators();
  let calls = 0;
  lib.PyMem_SetRawAllocators({ ...raw, malloc: (c, s) => (calls++, raw.malloc(c, s)) });
  const p = lib.PyMem_RawMalloc(10);
  lib.PyMem_RawFree(p);
  assert.equal(calls, 1);
  const ar = lib._PyObject_GetArenaAllocators();
  lib._PyObject_SetArenaAllocators(ar.ctx, ar.alloc, ar.free);
  lib.close(); // restores the RAW allocator found at load (JS was installed)
  assert.equal(lib.PyMem_GetRawAllocators().malloc, raw.malloc);
  const q = n.PyMem_RawMalloc(10);
  n.PyMem_RawFree(q);
  assert.equal(calls, 1);
  n.close();
});

test("native: RAW stress from C threads", () => {
  const n = openNative();
  assert.equal(n.stressRaw(8, 200, 42), 0);
  n.PyMem_SetupDebugHooks();
  assert.equal(n.stressRaw(4, 100, 43), 0);
  n.close();
});

test("native: opening again closes the previous instance (one per process)", () => {
  const a = openNative();
  const old = a.PyMem_GetAllocator(2);
  const js = (_c: any, s: number) => old.malloc(old.ctx, s);
  a.PyMem_SetAllocator(2, { ...old, malloc: js });
  assert.equal(a.PyMem_GetAllocator(2).malloc, js);
  const b: Pep445 = openNative();
  const now = b.PyMem_GetAllocator(2).malloc;
  assert.equal(typeof now, "function");
  assert.notEqual(now, js);
  const p = b.PyObject_Malloc(10); // no JS left on the path: the C default
  b.PyObject_Free(p);
  b.close();
});
