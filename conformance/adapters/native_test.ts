import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../core/usage.ts";
import { NATIVE_CAPABILITIES, nativeFactory, parseVariant } from "./native.ts";
import { PyMemDebugError } from "../../ref/types.ts";

test("native: variants parse, anything else is one UsageError line", () => {
  assert.equal(parseVariant(undefined), "release");
  assert.equal(parseVariant("debug"), "debug");
  assert.throws(
    () => nativeFactory("fast", { abi: "shipped" }),
    (e: unknown) => e instanceof UsageError && /unknown variant or geometry 'fast'/.test(e.message),
  );
});

test("native: declares every capability and both profiles", () => {
  const a = nativeFactory(undefined, { abi: "shipped" });
  assert.equal(a.label, "native");
  assert.deepEqual([...a.capabilities].sort(), [...NATIVE_CAPABILITIES].sort());
  assert.deepEqual([...a.profiles].sort(), ["cpython", "pep445-2013"]);
  assert.equal(a.childEnv, undefined);
});

test("native: open gives fresh state per case, violations throw, close of the case view is harmless", () => {
  const a = nativeFactory(undefined, { abi: "shipped" });
  const py = a.open("cpython");
  const pristine = py.PyMem_GetAllocator(0).malloc;
  py.PyMem_SetupDebugHooks();
  assert.notEqual(py.PyMem_GetAllocator(0).malloc, pristine);
  const p = py.PyMem_Malloc(16);
  py.memory.write(p + 16, [0x78]);
  assert.throws(
    () => py.PyMem_Free(p),
    (e: unknown) =>
      e instanceof PyMemDebugError && e.kind === "bad_trailing_pad" && e.func === "_PyMem_DebugRawFree",
  );
  py.setGilHeld(false);
  py.close(); // the runner closes the case's view: the instance must survive it
  a.close!();
  const py2 = a.open("pep445-2013");
  assert.equal(py2.profile, "pep445-2013");
  assert.equal(py2.PyMem_GetAllocator(0).malloc, pristine, "debug hooks gone in the next case");
  py2.PyMem_SetupDebugHooks();
  py2.PyMem_Free(py2.PyMem_Malloc(8)); // GIL held again (no no_gil violation)
  a.close!();
});

test("native: stressRaw runs C threads on the RAW domain", () => {
  const a = nativeFactory(undefined, { abi: "shipped" });
  a.open("cpython");
  assert.equal(a.stressRaw!(4, 200, 7), 0);
  a.close!();
});
