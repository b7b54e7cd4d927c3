import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "get_set/default_allocator_roundtrip",
  description: "Setting back what Get returned leaves the domain working and Get unchanged",
  spec: {
    section: "PEP 445, Proposal / API changes",
    quote: "Add new functions to get and set memory block allocators",
  },
  features: ["get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const a = ctx.getAllocator();
    ctx.setAllocator(a);
    const b = ctx.getAllocator();
    same(ctx, b.ctx, a.ctx, "ctx after Set(Get())");
    same(ctx, b.malloc, a.malloc, "malloc after Set(Get())");
    same(ctx, b.calloc, a.calloc, "calloc after Set(Get())");
    same(ctx, b.realloc, a.realloc, "realloc after Set(Get())");
    same(ctx, b.free, a.free, "free after Set(Get())");
    const p = nonNull(ctx, ctx.malloc(100), "malloc(100) after Set(Get())");
    ctx.fill(p, 100, 5);
    const q = nonNull(ctx, ctx.realloc(p, 1000), "realloc(p, 1000)");
    ctx.verify(q, 100, 5, "prefix after realloc");
    ctx.free(q);
  },
});
