import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/malloc_42_passes_exactly",
  description:
    "test_setallocators: malloc(42) reaches the hook as malloc(&hook, 42) and its result comes back unchanged",
  spec: {
    section: "spec/cpython-facts.md §5 (test_setallocators)",
    quote: "that the size arguments are exact (42; ptr and 200; 2 and 5);",
  },
  features: ["hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    const p = ctx.malloc(42);
    h.uninstall();
    nonNull(ctx, p, "malloc(42)");
    const m = h.calls.filter((c) => c.op === "malloc");
    same(ctx, m.length, 1, "hook malloc calls");
    same(ctx, m[0].args[0], 42, "size seen by the hook");
    same(ctx, m[0].result, p, "pointer returned through the entry point");
    ctx.free(p);
  },
});
