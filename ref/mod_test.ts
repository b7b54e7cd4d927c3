import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as mod from "./mod.ts";

test("mod: every value named in the PEP-section table is exported", () => {
  const doc = readFileSync(new URL("./mod.ts", import.meta.url), "utf8").split("@example")[0];
  const types = new Set([
    "RefOptions",
    "RefPep445",
    "Pep445",
    "Pep445Options",
    "Profile",
    "Geometry",
    "ViolationMode",
    "Memory",
    "PyMemAllocators",
    "PyMemAllocatorEx",
    "Domain",
    "PyObjectArenaAllocator",
    "ViolationKind",
    "PymallocFallback",
    "PymallocStats",
    "Ptr",
    "SizeArg",
  ]);
  const named = [...doc.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]);
  const values = named.filter((n) =>
    !types.has(n) && !n.startsWith("Py") && !n.startsWith("_Py") && n !== "size_t"
  );
  assert.ok(values.length >= 30, `only ${values.length} names parsed`);
  for (const n of values) assert.ok(n in mod, `${n} is named in the table but not exported`);
  for (
    const n of [
      "PyMemDebugError",
      "PYMEM_DOMAIN_RAW",
      "PYMEM_DOMAIN_MEM",
      "PYMEM_DOMAIN_OBJ",
      "PY_SSIZE_T_MAX",
      "Pymalloc",
    ]
  ) {
    assert.ok(n in mod, n);
  }
  // every method the table names exists on a world
  const py = mod.createRef();
  for (const n of named.filter((n) => /^_?Py(Mem|Object)_/.test(n) && !n.includes("/"))) {
    assert.equal(typeof (py as any)[n], "function", n);
  }
});

test("mod: the module example runs as written", () => {
  const py = mod.createRef({ profile: "cpython" });
  const old = py.PyMem_GetAllocator(mod.PYMEM_DOMAIN_MEM);
  let calls = 0;
  py.PyMem_SetAllocator(mod.PYMEM_DOMAIN_MEM, { ...old, malloc: (ctx, n) => (calls++, old.malloc(ctx, n)) });
  py.PyMem_Free(py.PyMem_Malloc(16));
  assert.equal(calls, 1);
});
