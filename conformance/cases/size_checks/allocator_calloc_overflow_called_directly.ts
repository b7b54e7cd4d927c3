import { defineCase } from "../../case.ts";
import { hex } from "../_lib.ts";

/** 16 * (2**20 + 1) * (2**40 - 2**20 + 1) = 2**64 + 16: wraps to 16 in a size_t product. */
const A = 16 * (2 ** 20 + 1);
const B = 2 ** 40 - 2 ** 20 + 1;

export default defineCase({
  id: "size_checks/allocator_calloc_overflow_called_directly",
  description:
    "Informational (C semantics): the domain's own calloc function, called directly through PyMem_GetAllocator as hooks do, returns NULL when nelem * elsize overflows size_t",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote:
      "The hook is **not** called in those cases **[obs]**. free never checks. Internal allocators only `assert()` this.",
  },
  features: ["size-checks", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["calloc"],
  informational: true,
  run(ctx) {
    const a = ctx.getAllocator();
    if (a.calloc === null) return ctx.skip("the domain's allocator has no calloc (2013 layout)");
    const p = a.calloc(a.ctx, A, B);
    if (p !== 0) {
      a.free(a.ctx, p);
      ctx.fail(
        `calloc(${A}, ${B}) called on the allocator directly returned ${
          hex(p)
        }: the product 2**64 + 16 wrapped to 16 bytes`,
      );
    }
  },
});
