import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/calloc_2_5_passes_exactly",
  description: "test_setallocators: calloc(2, 5) reaches the hook as calloc(&hook, 2, 5), not as one product",
  spec: {
    section: "spec/cpython-facts.md §5 (test_setallocators)",
    quote: "that the size arguments are exact (42; ptr and 200; 2 and 5);",
  },
  features: ["hook-args", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const h = ctx.hook();
    const p = nonNull(ctx, ctx.calloc(2, 5), "calloc(2, 5)");
    h.uninstall();
    const c = h.calls.filter((x) => x.op === "calloc");
    same(ctx, c.length, 1, "hook calloc calls");
    same(ctx, `${c[0].args[0]},${c[0].args[1]}`, "2,5", "nelem,elsize seen by the hook");
    same(ctx, c[0].result, p, "pointer returned through the entry point");
    ctx.free(p);
  },
});
