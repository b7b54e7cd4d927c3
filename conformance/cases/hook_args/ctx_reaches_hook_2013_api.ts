import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/ctx_reaches_hook_2013_api",
  description: "A hook set through the 2013 API gets its ctx in malloc, realloc and free",
  spec: {
    section: "PEP 445, Proposal / API changes",
    quote: "/* user context passed as the first argument to the 3 functions */",
  },
  features: ["hook-args", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-2013"],
  run(ctx) {
    const inner = ctx.get2013();
    const token = { hook2013: true };
    const seen: unknown[] = [];
    ctx.set2013({
      ctx: token,
      malloc: (c, n) => (seen.push(c), inner.malloc(inner.ctx, n)),
      realloc: (c, p, n) => (seen.push(c), inner.realloc(inner.ctx, p, n)),
      free: (c, p) => (seen.push(c), inner.free(inner.ctx, p)),
    });
    const p = nonNull(ctx, ctx.malloc(42), "malloc(42)");
    const q = nonNull(ctx, ctx.realloc(p, 200), "realloc(p, 200)");
    ctx.free(q);
    ctx.set2013(inner);
    same(ctx, seen.length, 3, "hook calls");
    seen.forEach((c, i) => same(ctx, c, token, `ctx of hook call ${i}`));
  },
});
