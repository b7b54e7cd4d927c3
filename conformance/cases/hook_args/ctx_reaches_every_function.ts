import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/ctx_reaches_every_function",
  description: "test_setallocators: malloc, realloc, free and calloc are all entered with ctx == &hook",
  spec: {
    section: "spec/cpython-facts.md §5 (test_setallocators)",
    quote: "that the hook was entered with **ctx == &hook**;",
  },
  features: ["hook-args", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const h = ctx.hook();
    const p = ctx.malloc(42);
    const q = ctx.realloc(p, 200);
    ctx.free(q);
    const r = ctx.calloc(2, 5);
    ctx.free(r);
    h.uninstall();
    same(ctx, h.calls.map((c) => c.op).join(","), "malloc,realloc,free,calloc,free", "hook calls in order");
    for (const c of h.calls) same(ctx, c.ctx, h.installed.ctx, `ctx passed to ${c.op}`);
  },
});
