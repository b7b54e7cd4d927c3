import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/realloc_shrink_keeps_prefix",
  description: "Shrinking a block (large -> small -> tiny) keeps the surviving prefix",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "Contents are kept up to min(old,new).",
  },
  features: ["realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    // live guard blocks on both sides, checked after every shrink: a shrink writing outside is caught
    const before = nonNull(ctx, ctx.malloc(6000), "malloc(6000) (guard before)");
    let p = nonNull(ctx, ctx.malloc(6000), "malloc(6000)");
    const after = nonNull(ctx, ctx.malloc(6000), "malloc(6000) (guard after)");
    ctx.fill(before, 6000, 23);
    ctx.fill(after, 6000, 24);
    ctx.fill(p, 6000, 22);
    for (const n of [1000, 300, 40, 3]) {
      p = nonNull(ctx, ctx.realloc(p, n), `realloc(p, ${n})`);
      ctx.verify(p, n, 22, `the ${n} bytes kept by a shrinking realloc`);
      ctx.verify(before, 6000, 23, `the live block before, after realloc(p, ${n})`);
      ctx.verify(after, 6000, 24, `the live block after, after realloc(p, ${n})`);
    }
    ctx.free(p);
    ctx.free(before);
    ctx.free(after);
  },
});
