import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/realloc_passes_pointer_and_size",
  description: "test_setallocators: realloc(ptr, 200) reaches the hook with the same ptr and 200",
  spec: {
    section: "spec/cpython-facts.md §5 (test_setallocators)",
    quote: "that the size arguments are exact (42; ptr and 200; 2 and 5);",
  },
  features: ["hook-args", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    const p = nonNull(ctx, ctx.malloc(42), "malloc(42)");
    const q = nonNull(ctx, ctx.realloc(p, 200), "realloc(ptr, 200)");
    h.uninstall();
    const r = h.calls.filter((c) => c.op === "realloc");
    same(ctx, r.length, 1, "hook realloc calls");
    same(ctx, r[0].args[0], p, "pointer seen by the hook's realloc");
    same(ctx, r[0].args[1], 200, "size seen by the hook's realloc");
    same(ctx, r[0].result, q, "pointer returned through the entry point");
    ctx.free(q);
  },
});
