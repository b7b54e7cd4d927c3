import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/realloc_null_acts_as_malloc",
  description: "realloc(NULL, n) returns a new usable block, like malloc(n)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "**realloc contract** (docs): if p is NULL it acts as malloc(n).",
  },
  features: ["realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const p = nonNull(ctx, ctx.realloc(0, 40), "realloc(NULL, 40)");
    const q = nonNull(ctx, ctx.realloc(0, 40), "second realloc(NULL, 40)");
    if (p === q) ctx.fail("two realloc(NULL, 40) calls returned the same live block");
    ctx.fill(p, 40, 11);
    ctx.fill(q, 40, 12);
    ctx.verify(p, 40, 11, "first realloc(NULL, 40) block");
    ctx.free(p);
    ctx.free(q);
  },
});
