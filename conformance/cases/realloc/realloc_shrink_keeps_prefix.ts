import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/realloc_shrink_keeps_prefix",
  description: "Shrinking a block (large -> small -> tiny) keeps the surviving prefix",
  spec: {
    section: "cpython-facts.md §1.3 (realloc contract)",
    quote: "Contents are kept up to min(old,new).",
  },
  features: ["realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    let p = nonNull(ctx, ctx.malloc(6000), "malloc(6000)");
    ctx.fill(p, 6000, 22);
    for (const n of [1000, 300, 40, 3]) {
      p = nonNull(ctx, ctx.realloc(p, n), `realloc(p, ${n})`);
      ctx.verify(p, n, 22, `the ${n} bytes kept by a shrinking realloc`);
    }
    ctx.free(p);
  },
});
