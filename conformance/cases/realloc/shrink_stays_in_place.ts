import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/shrink_stays_in_place",
  description: "Informational: a large RAW block shrunk by one byte is not moved (quality, not a PEP rule)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "Contents are kept up to min(old,new).",
  },
  features: ["realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW"],
  needs: [],
  informational: true,
  run(ctx) {
    const p = nonNull(ctx, ctx.malloc(10000), "malloc(10000)");
    const q = nonNull(ctx, ctx.realloc(p, 9999), "realloc(p, 9999)");
    ctx.free(q);
    if (q !== p) ctx.fail("realloc(p, 9999) of a 10000-byte block moved it");
  },
});
