import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "free_null/free_null_reaches_hook",
  description: "free(NULL) is passed to the domain's allocator (the hook sees free(ctx, NULL))",
  spec: { section: "spec/cpython-facts.md §7 (invariants)", quote: "free(NULL) reaches the hook." },
  features: ["free-null", "hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    ctx.free(0);
    h.uninstall();
    const frees = h.calls.filter((c) => c.op === "free");
    same(ctx, frees.length, 1, "free calls seen by the hook after free(NULL)");
    same(ctx, frees[0].args[0], 0, "pointer passed to the hook's free");
  },
});
