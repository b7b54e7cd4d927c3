import { test } from "node:test";
import assert from "node:assert/strict";
import { DOMAINS, PY_SSIZE_T_MAX, PYMEM_DOMAIN_MEM, PyMemDebugError } from "./types.ts";

test("types: domains are CPython's PyMemAllocatorDomain values", () => {
  assert.deepEqual(DOMAINS, [0, 1, 2]);
  assert.equal(PY_SSIZE_T_MAX, 9223372036854775807n);
});

test("types: PyMemDebugError's message is the Fatal Python error line", () => {
  const text =
    "Debug memory block at address p=0x10: API 'm'\n\nFatal Python error: _PyMem_DebugRawFree: bad ID\n";
  const e = new PyMemDebugError("bad_id", 16, "_PyMem_DebugRawFree", 0x6d, 0x72, text);
  assert.equal(e.message, "Fatal Python error: _PyMem_DebugRawFree: bad ID");
  assert.equal(e.kind, "bad_id");
  assert.equal(PYMEM_DOMAIN_MEM, 1);
});
