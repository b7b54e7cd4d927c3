import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/free_passes_same_pointer",
  description: "test_setallocators: free(ptr) reaches the hook with the pointer malloc returned",
  spec: {
    section: "spec/cpython-facts.md §5 (test_setallocators)",
    quote: "that free received the same pointer.",
  },
  features: ["hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    const p = nonNull(ctx, ctx.malloc(42), "malloc(42)");
    ctx.free(p);
    h.uninstall();
    const f = h.calls.filter((c) => c.op === "free");
    same(ctx, f.length, 1, "hook free calls");
    same(ctx, f[0].args[0], p, "pointer seen by the hook's free");
  },
});
