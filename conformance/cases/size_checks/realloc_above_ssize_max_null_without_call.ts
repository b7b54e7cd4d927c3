import { defineCase } from "../../case.ts";
import { ABOVE_MAX, nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "size_checks/realloc_above_ssize_max_null_without_call",
  description: "realloc(p, PY_SSIZE_T_MAX + 1) returns NULL without calling the allocator and p stays intact",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote:
      "malloc/realloc return NULL when `n > PY_SSIZE_T_MAX`; calloc returns NULL when `elsize != 0 && nelem > PY_SSIZE_T_MAX/elsize`. The hook is **not** called in those cases",
  },
  features: ["size-checks", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const p = nonNull(ctx, ctx.malloc(48), "malloc(48)");
    ctx.fill(p, 48, 3);
    const h = ctx.hook();
    const q = ctx.realloc(p, ABOVE_MAX);
    h.uninstall();
    same(ctx, q, 0, "realloc(p, PY_SSIZE_T_MAX + 1)");
    same(ctx, h.calls.length, 0, "allocator calls made for the oversized realloc");
    ctx.verify(p, 48, 3, "block after the refused realloc");
    ctx.free(p);
  },
});
