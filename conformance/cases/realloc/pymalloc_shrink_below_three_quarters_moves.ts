import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/pymalloc_shrink_below_three_quarters_moves",
  description:
    "pymalloc moves a block shrunk to 3/4 of its size class or less (64 -> 40) and keeps the prefix",
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
    ctx.fill(p, 64, 42);
    const q = nonNull(ctx, ctx.realloc(p, 40), "PyObject_Realloc(p, 40)");
    if (q === p) {
      ctx.fail("PyObject_Realloc(64-byte block, 40) stayed in place; pymalloc moves it since 4*40 <= 3*64");
    }
    ctx.verify(q, 40, 42, "moved block");
    ctx.free(q);
  },
});
