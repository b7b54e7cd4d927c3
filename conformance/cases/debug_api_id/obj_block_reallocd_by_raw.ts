import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_api_id/obj_block_reallocd_by_raw",
  description:
    "A OBJ block (PyObject_Malloc) passed to PyMem_RawRealloc is reported as bad ID: allocated with 'o', verified with 'r'",
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
    func: "_PyMem_DebugRawRealloc",
    text: [/bad ID: Allocated using API 'o', verified using API 'r'/],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(16), "PyObject_Malloc(16)");
    ctx.py.PyMem_RawRealloc(p, 32);
  },
});
