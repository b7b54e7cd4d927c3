import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "unknown_domain/get_unknown_domain_all_null",
  description: "PyMem_GetAllocator on an unknown domain (3, 7, -1) gives NULL in all five fields",
  spec: {
    section: "spec/cpython-facts.md §1.2",
    quote: "`PyMem_GetAllocator(unknown domain)` writes NULL to all five fields",
  },
  features: ["unknown-domain", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-shipped"],
  run(ctx) {
    for (const d of [3, 7, -1]) {
      const a = ctx.py.PyMem_GetAllocator(d);
      for (const f of ["ctx", "malloc", "calloc", "realloc", "free"] as const) {
        same(ctx, a[f] ?? null, null, `PyMem_GetAllocator(${d}).${f}`);
      }
    }
  },
});
