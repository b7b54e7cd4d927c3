import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_forward/below_ctx_unchanged",
  description: "Every call the hook forwards reaches the allocator below with that allocator's own ctx",
  spec: {
    section: "PEP 445, Use case 3: Setup Allocator Hooks",
    quote: "ptr = alloc->malloc(alloc->ctx, size);",
  },
  features: ["use-case", "hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    const p = nonNull(ctx, ctx.malloc(24), "malloc(24)");
    const q = nonNull(ctx, ctx.realloc(p, 100), "realloc(p, 100)");
    ctx.free(q);
    if (ctx.target.capabilities.has("calloc")) ctx.free(nonNull(ctx, ctx.calloc(3, 8), "calloc(3, 8)"));
    const want = below.recorder.installed.ctx;
    const calls = below.recorder.calls;
    if (!calls.length) ctx.fail("nothing reached the allocator below the hook");
    for (const c of calls) {
      if (c.ctx !== want) {
        ctx.fail(`${c.op} reached the allocator below with ctx ${String(c.ctx)}, not its own ctx`);
      }
    }
  },
});
