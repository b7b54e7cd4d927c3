import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_api_id/raw_block_freed_by_mem",
  description:
    "A RAW block (PyMem_RawMalloc) passed to PyMem_Free is reported as bad ID: allocated with 'r', verified with 'm'",
  spec: {
    section: "spec/cpython-facts.md §2.4 (check order)",
    quote:
      "Id byte at p-S ≠ the domain's id: **\"bad ID: Allocated using API '%c', verified using API '%c'\"**.",
  },
  features: ["debug-api-id"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_id",
    func: "_PyMem_DebugRawFree",
    text: [/bad ID: Allocated using API 'r', verified using API 'm'/],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_RawMalloc(16), "PyMem_RawMalloc(16)");
    ctx.py.PyMem_Free(p);
  },
});
