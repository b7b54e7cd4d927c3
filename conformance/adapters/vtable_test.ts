import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../core/usage.ts";
import { vtableFactory } from "./vtable.ts";
import { parseVtableArg } from "../../targets/vtable.ts";
import { buildFixtures } from "../fixtures/c/build.ts";
import { symbolAddress } from "../../native/mod.ts";

const libs = buildFixtures({ names: ["good", "abi2013", "malloc0_null"], quiet: true });
const oneLine = (re: RegExp) => (e: unknown) =>
  e instanceof UsageError && re.test(e.message) && !e.message.includes("\n");

test("vtable: argument parsing (path, symbol, layer)", () => {
  assert.deepEqual(parseVtableArg(`${libs.good}:my_alloc`), {
    lib: libs.good,
    symbol: "my_alloc",
    layer: undefined,
  });
  assert.deepEqual(parseVtableArg(`${libs.good}@chain`), {
    lib: libs.good,
    symbol: "pep445_allocator",
    layer: "chain",
  });
  assert.throws(() => parseVtableArg(`${libs.good}@nope`), oneLine(/unknown layer '@nope'/));
});

test("vtable: missing library, missing symbol, no argument: one UsageError line each", () => {
  assert.throws(
    () => vtableFactory("./no/such/lib.so", { abi: "shipped" }),
    oneLine(/vtable target: library \.\/no\/such\/lib\.so not found/),
  );
  assert.throws(
    () => vtableFactory(`${libs.good}:nosuch`, { abi: "shipped" }),
    oneLine(/does not export nosuch \(a data symbol holding a PyMemAllocatorEx\)/),
  );
  assert.throws(() => vtableFactory(undefined, { abi: "2013" }), oneLine(/vtable target needs a library/));
});

test("vtable: the struct's own C functions are installed in all three domains (no JS on the path)", () => {
  const a = vtableFactory(libs.good, { abi: "shipped" });
  const py = a.open("cpython");
  const sym = symbolAddress(libs.good, "pep445_allocator");
  for (const d of [0, 1, 2]) {
    assert.equal(
      py.PyMem_GetAllocator(d).ctx,
      Number(new BigUint64Array(py.memory.read(sym, 8).buffer)[0]),
      `domain ${d} ctx`,
    );
  }
  assert.notEqual(py.PyMem_Malloc(0), 0);
  assert.equal(a.stressRaw!(4, 100, 1), 0, "thread-safe RAW");
  a.close!();
  const bad = vtableFactory(libs.malloc0_null, { abi: "shipped" });
  assert.equal(
    bad.open("cpython").PyObject_Malloc(0),
    0,
    "the fixture's own malloc(0) reaches the entry point",
  );
  bad.close!();
});

test("vtable: --abi 2013 installs through the draft API and declares no calloc", () => {
  const a = vtableFactory(libs.abi2013, { abi: "2013" });
  assert.ok(!a.capabilities.has("calloc"));
  const py = a.open("pep445-2013");
  assert.equal(py.PyMem_GetAllocator(1).calloc, null);
  const p = py.PyMem_Calloc(4, 4);
  assert.deepEqual([...py.memory.read(p, 16)], new Array(16).fill(0));
  py.PyMem_Free(p);
  a.close!();
});

test("vtable: @chain layers the native pass-through hooks over the allocator", () => {
  const a = vtableFactory(`${libs.good}@chain`, { abi: "shipped" });
  const py = a.open("cpython") as ReturnType<typeof a.open> & { passthroughCalls(): number };
  py.PyMem_RawFree(py.PyMem_RawMalloc(10));
  assert.ok(py.passthroughCalls() >= 2);
  a.close!();
});
