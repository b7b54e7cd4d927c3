import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/realloc_grow_keeps_prefix",
  description: "Growing a block (small -> pymalloc-sized -> large) keeps its seeded contents",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "Contents are kept up to min(old,new).",
  },
  features: ["realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    let p = nonNull(ctx, ctx.malloc(24), "malloc(24)");
    ctx.fill(p, 24, 21);
    // a neighbour keeps the block from simply extending into free space
    const guard = nonNull(ctx, ctx.malloc(24), "malloc(24) neighbour");
    for (const n of [100, 500, 4000, 70000]) {
      p = nonNull(ctx, ctx.realloc(p, n), `realloc(p, ${n})`);
      ctx.verify(p, 24, 21, `first 24 bytes after realloc to ${n}`);
    }
    ctx.free(p);
    ctx.free(guard);
  },
});
