import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../core/usage.ts";
import { cpythonChildEnv, cpythonFactory, LIBPYTHON_ENV } from "./cpython.ts";
import { findLibpython } from "../../core/python.ts";
import { openEmbedding, runPython } from "./cpython_embed.ts";
import { buildFixtures } from "../fixtures/c/build.ts";

let libpython: string | undefined;
try {
  libpython = findLibpython().path;
} catch { /* no shared libpython here */ }
const skip = libpython ? false : "no shared libpython on this machine";

test("cpython: findLibpython asks the interpreter and names the problem when it cannot", { skip }, () => {
  assert.match(libpython!, /libpython3\.\d+\.so/);
  assert.throws(
    () => findLibpython("/no/such/python3"),
    /cannot run \/no\/such\/python3 to find libpython .*pass --target cpython:/,
  );
});

test("cpython: a missing library or a library without the PEP 445 API is one UsageError line", () => {
  const oneLine = (re: RegExp) => (e: unknown) =>
    e instanceof UsageError && re.test(e.message) && !e.message.includes("\n");
  assert.throws(
    () => cpythonFactory("/no/such/libpython3.11.so", { abi: "shipped" }),
    oneLine(/library \/no\/such\/libpython3\.11\.so not found/),
  );
  const good = buildFixtures({ names: ["good"], quiet: true }).good;
  assert.throws(
    () => cpythonFactory(good, { abi: "shipped" }),
    oneLine(
      /does not export PyMem_RawMalloc, PyMem_RawCalloc, PyMem_RawRealloc and 14 more \(not a PEP 445 library; CPython 3\.5\+ needed\)/,
    ),
  );
});

test("cpython: declares profile cpython only and abort-only violations", { skip }, () => {
  const a = cpythonFactory(libpython, { abi: "shipped" });
  assert.deepEqual(a.profiles, ["cpython"]);
  assert.deepEqual(a.violationModes, ["abort"]);
  for (const c of ["api-shipped", "calloc", "pymalloc", "arena", "debug-hooks", "gil", "death"] as const) {
    assert.ok(a.capabilities.has(c), c);
  }
  assert.ok(!a.capabilities.has("api-2013"));
  assert.deepEqual(cpythonChildEnv("/x.so", "zero_size/a"), { [LIBPYTHON_ENV]: "/x.so", PYTHONMALLOC: "" });
  assert.equal(cpythonChildEnv("/x.so", "pymalloc/b").ALLOCSPEC_FRESH_PROCESS, "pymalloc/b");
});

test(
  "cpython: every case starts from the allocators Py_InitializeEx left, with the GIL held",
  { skip },
  () => {
    const a = cpythonFactory(libpython, { abi: "shipped" });
    const py = a.open("cpython");
    const initial = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d).malloc);
    // a case installs the debug hooks and a JS hook, and releases the GIL...
    py.PyMem_SetupDebugHooks();
    const inner = py.PyMem_GetAllocator(0);
    let seen = 0;
    py.PyMem_SetAllocator(0, {
      ctx: { mine: true },
      malloc: (_c, n) => (seen++, inner.malloc(inner.ctx, n)),
      calloc: (_c, a, b) => inner.calloc!(inner.ctx, a, b),
      realloc: (_c, q, n) => inner.realloc(inner.ctx, q, n),
      free: (_c, q) => inner.free(inner.ctx, q),
    });
    const p = py.PyMem_RawMalloc(24);
    assert.equal(seen, 1);
    assert.deepEqual(
      [...py.memory.read(p - 8, 8)],
      [0x72, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd, 0xfd],
      "CPython's debug header under the hook",
    );
    py.PyMem_RawFree(p);
    py.setGilHeld(false);
    py.close();
    a.close!();
    // ...and the next case sees none of it
    const py2 = a.open("cpython");
    assert.deepEqual([0, 1, 2].map((d) => py2.PyMem_GetAllocator(d).malloc), initial);
    assert.equal(openEmbedding(libpython!).gilCheck(), 1, "GIL held again");
    py2.PyMem_Free(py2.PyMem_Malloc(16));
    assert.equal(seen, 1);
    assert.throws(() => py2.setViolationMode("throw"), /can only abort/);
    a.close!();
  },
);

test("cpython: the interpreter starts without site (what site-packages run at startup is not the target)", {
  skip,
}, () => {
  const a = cpythonFactory(libpython, { abi: "shipped" });
  a.open("cpython");
  // PyRun_SimpleString's status is non-zero when the assertion fails (the traceback goes to stderr)
  runPython(
    libpython!,
    "import sys; assert sys.flags.no_site == 1 and 'site' not in sys.modules, (sys.flags.no_site, len(sys.modules))",
  );
  a.close!();
});
