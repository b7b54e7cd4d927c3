import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";
import type { PyMemAllocators } from "../../../ref/types.ts";

export default defineCase({
  id: "get_set/set_2013_api_has_no_calloc",
  description: "After a 2013-API Set, the shipped Get shows the same ctx/functions and calloc NULL",
  spec: {
    section: "ref/types.ts (host conventions)",
    quote: "A domain set through the 2013 draft API (`PyMemAllocators`, no calloc) has `calloc === null`",
  },
  features: ["get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-2013", "api-shipped"],
  run(ctx) {
    const inner = ctx.get2013();
    const mine: PyMemAllocators = {
      ctx: { tag: "2013" },
      malloc: (_c, n) => inner.malloc(inner.ctx, n),
      realloc: (_c, p, n) => inner.realloc(inner.ctx, p, n),
      free: (_c, p) => inner.free(inner.ctx, p),
    };
    ctx.set2013(mine);
    const got = ctx.getAllocator();
    ctx.set2013(inner);
    same(ctx, got.ctx, mine.ctx, "ctx seen by the shipped Get");
    same(ctx, got.malloc, mine.malloc, "malloc seen by the shipped Get");
    same(ctx, got.calloc, null, "calloc seen by the shipped Get after a 2013 Set");
  },
});
