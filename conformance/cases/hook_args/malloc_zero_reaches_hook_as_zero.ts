import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/malloc_zero_reaches_hook_as_zero",
  description: "malloc(0) reaches the domain's allocator as malloc(0) (the entry point does not round it up)",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote:
      "**What passes through to the hook untouched** **[obs]**: `malloc(0)`, `calloc(3,5)`, `realloc(NULL,8)`",
  },
  features: ["hook-args", "zero-size"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    const p = ctx.malloc(0);
    h.uninstall();
    same(
      ctx,
      h.calls.length >= 1 ? `${h.calls[0].op}(${h.calls[0].args.join(",")})` : "no call",
      "malloc(0)",
      "first hook call",
    );
    ctx.free(p);
  },
});
