import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "size_checks/calloc_product_overflow_null_without_call",
  description:
    "calloc(2**62, 4) and calloc(2**32, 2**31) (products above PY_SSIZE_T_MAX) return NULL without calling the allocator",
  spec: {
    section: "spec/cpython-facts.md §3 (observed)",
    quote: "`PyMem_Calloc(2**62,4)` and `PyObject_Calloc(2**32,2**31)` all returned NULL.",
  },
  features: ["size-checks", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const h = ctx.hook();
    const a = ctx.calloc(1n << 62n, 4);
    const b = ctx.calloc(1n << 32n, 1n << 31n);
    const c = ctx.calloc(2, 1n << 62n);
    h.uninstall();
    same(ctx, a, 0, "calloc(2**62, 4)");
    same(ctx, b, 0, "calloc(2**32, 2**31)");
    same(ctx, c, 0, "calloc(2, 2**62)");
    same(ctx, h.calls.length, 0, "allocator calls made for overflowing calloc products");
  },
});
