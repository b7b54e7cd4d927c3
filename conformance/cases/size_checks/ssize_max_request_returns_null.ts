import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";
import { PY_SSIZE_T_MAX } from "../../../ref/types.ts";

export default defineCase({
  id: "size_checks/ssize_max_request_returns_null",
  description:
    "malloc(PY_SSIZE_T_MAX) and realloc(p, PY_SSIZE_T_MAX) pass the entry check and simply fail: NULL, no exception, p intact",
  spec: {
    section: "spec/cpython-facts.md §3 (observed)",
    quote:
      "Overflow edge cases: `PyMem_Malloc(PY_SSIZE_T_MAX+1)`, `PyMem_Malloc(PY_SSIZE_T_MAX)`, `PyMem_Calloc(2**62,4)` and `PyObject_Calloc(2**32,2**31)` all returned NULL.",
  },
  features: ["size-checks"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    same(ctx, ctx.malloc(PY_SSIZE_T_MAX), 0, "malloc(PY_SSIZE_T_MAX)");
    const p = ctx.malloc(16);
    ctx.fill(p, 16, 4);
    same(ctx, ctx.realloc(p, PY_SSIZE_T_MAX), 0, "realloc(p, PY_SSIZE_T_MAX)");
    ctx.verify(p, 16, 4, "block after realloc(p, PY_SSIZE_T_MAX)");
    ctx.free(p);
  },
});
