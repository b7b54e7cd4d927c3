import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "zero_size/realloc_to_zero_non_null",
  description:
    "realloc(p, 0) resizes the block instead of freeing it: the result is non-NULL and can be freed",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "If n==0 the block is resized, not freed, and a non-NULL result comes back.",
  },
  features: ["zero-size", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const p = nonNull(ctx, ctx.malloc(32), "malloc(32)");
    const q = nonNull(ctx, ctx.realloc(p, 0), "realloc(p, 0)");
    const other = nonNull(ctx, ctx.malloc(0), "malloc(0) after realloc(p, 0)");
    if (other === q) {
      ctx.fail(`realloc(p, 0) result 0x${q.toString(16)} was handed out again by malloc(0): it was freed`);
    }
    ctx.free(q);
    ctx.free(other);
  },
});
