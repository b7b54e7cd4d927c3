import { defineCase } from "../../case.ts";
import { EVERY_ALLOCATING_PATH, failEveryPath, nonNull, requireInjectedFailure, same } from "../_lib.ts";

export default defineCase({
  id: "realloc/failed_realloc_keeps_old_block",
  description:
    "When the allocator's realloc fails, the entry point returns NULL and the old block stays valid and intact",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "On failure it returns NULL and **p stays valid**.",
  },
  features: ["realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  injectsFailure: {
    fails: EVERY_ALLOCATING_PATH,
    precondition: "realloc(p, 5000) reached the domain's allocator (malloc, calloc or realloc) and got NULL",
  },
  run(ctx) {
    const p = nonNull(ctx, ctx.malloc(64), "malloc(64)");
    ctx.fill(p, 64, 31);
    const h = ctx.hook();
    failEveryPath(h);
    const q = ctx.realloc(p, 5000);
    h.uninstall();
    requireInjectedFailure(ctx, h, 0, "realloc(p, 5000)");
    same(ctx, q, 0, "realloc(p, 5000) when the allocator fails every malloc, calloc and realloc");
    ctx.verify(p, 64, 31, "old block after the failed realloc");
    const r = nonNull(ctx, ctx.realloc(p, 128), "realloc(p, 128) retried after the failure");
    ctx.verify(r, 64, 31, "block after the retried realloc");
    ctx.free(r);
  },
});
