import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "free_null/free_null_is_noop",
  description: "free(NULL) does nothing and the domain keeps working",
  spec: {
    section: "spec/cpython-facts.md §1.3 (free contract)",
    quote: "**free contract**: NULL is a no-op.",
  },
  features: ["free-null"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    ctx.free(0);
    ctx.free(0);
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16) after free(NULL)");
    ctx.fill(p, 16, 1);
    ctx.verify(p, 16, 1, "block after free(NULL)");
    ctx.free(p);
  },
});
