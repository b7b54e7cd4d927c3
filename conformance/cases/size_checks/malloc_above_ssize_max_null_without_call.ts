import { defineCase } from "../../case.ts";
import { ABOVE_MAX, same } from "../_lib.ts";

export default defineCase({
  id: "size_checks/malloc_above_ssize_max_null_without_call",
  description: "malloc(PY_SSIZE_T_MAX + 1) and malloc(SIZE_MAX) return NULL without calling the allocator",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote:
      "malloc/realloc return NULL when `n > PY_SSIZE_T_MAX`; calloc returns NULL when `elsize != 0 && nelem > PY_SSIZE_T_MAX/elsize`. The hook is **not** called in those cases",
  },
  features: ["size-checks"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    const a = ctx.malloc(ABOVE_MAX);
    const b = ctx.malloc((1n << 64n) - 1n);
    h.uninstall();
    same(ctx, a, 0, "malloc(PY_SSIZE_T_MAX + 1)");
    same(ctx, b, 0, "malloc(SIZE_MAX)");
    same(ctx, h.calls.length, 0, "allocator calls made for oversized requests");
  },
});
