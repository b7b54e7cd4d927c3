import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_forward/free_below_gets_pointers_from_below",
  description:
    "Every pointer the hook passes to free/realloc below was returned by the allocator below (free(NULL) included)",
  spec: {
    section: "PEP 445, Use case 3: Setup Allocator Hooks",
    quote: "alloc->free(alloc->ctx, ptr);",
  },
  features: ["use-case", "free-null"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    const a = nonNull(ctx, ctx.malloc(40), "malloc(40)");
    const b = nonNull(ctx, ctx.realloc(0, 8), "realloc(NULL, 8)");
    const c = nonNull(ctx, ctx.realloc(a, 1000), "realloc(p, 1000)");
    const d = nonNull(ctx, ctx.realloc(c, 16), "realloc(p, 16)");
    ctx.free(b);
    ctx.free(d);
    ctx.free(0);
    if (below.foreign.length) {
      ctx.fail(
        `the hook passed pointers the allocator below never returned: ${
          below.foreign.map((f) => `${f.op}(${hex(f.ptr)})`).join(", ")
        }`,
      );
    }
  },
});
