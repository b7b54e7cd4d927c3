import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "realloc/pymalloc_shrink_within_class_in_place",
  description: "pymalloc keeps a block in place when n <= size and 4n > 3*size (64 -> 60)",
  spec: {
    section: "spec/cpython-facts.md §4 (pymalloc realloc)",
    quote:
      "a pymalloc block stays in place when `n <= size && 4n > 3*size`. Otherwise it is malloc + copy + free.",
  },
  features: ["realloc", "pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["OBJ"],
  needs: ["pymalloc"],
  run(ctx) {
    const p = nonNull(ctx, ctx.malloc(64), "PyObject_Malloc(64)");
    ctx.fill(p, 64, 41);
    const q = ctx.realloc(p, 60);
    same(ctx, q, p, "PyObject_Realloc(p, 60) of a 64-byte pymalloc block");
    ctx.verify(q, 60, 41, "block after the in-place shrink");
    ctx.free(q);
  },
});
