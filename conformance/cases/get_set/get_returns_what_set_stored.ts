import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";
import type { PyMemAllocatorEx } from "../../../ref/types.ts";

export default defineCase({
  id: "get_set/get_returns_what_set_stored",
  description: "PyMem_GetAllocator returns exactly the ctx and the four functions PyMem_SetAllocator stored",
  spec: { section: "spec/cpython-facts.md §1.2", quote: "Get and Set copy the struct by value." },
  features: ["get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const inner = ctx.getAllocator();
    const mine: PyMemAllocatorEx = {
      ctx: { tag: "mine" },
      malloc: (_c, n) => inner.malloc(inner.ctx, n),
      calloc: (_c, a, b) => inner.calloc!(inner.ctx, a, b),
      realloc: (_c, p, n) => inner.realloc(inner.ctx, p, n),
      free: (_c, p) => inner.free(inner.ctx, p),
    };
    ctx.setAllocator(mine);
    const got = ctx.getAllocator();
    ctx.setAllocator(inner);
    same(ctx, got.ctx, mine.ctx, "ctx returned by Get");
    same(ctx, got.malloc, mine.malloc, "malloc returned by Get");
    same(ctx, got.calloc, mine.calloc, "calloc returned by Get");
    same(ctx, got.realloc, mine.realloc, "realloc returned by Get");
    same(ctx, got.free, mine.free, "free returned by Get");
  },
});
