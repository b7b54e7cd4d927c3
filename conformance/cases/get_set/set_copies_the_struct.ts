import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";
import type { PyMemAllocatorEx } from "../../../ref/types.ts";

export default defineCase({
  id: "get_set/set_copies_the_struct",
  description: "Changing the caller's struct after PyMem_SetAllocator changes nothing: Set copied it",
  spec: {
    section: "spec/cpython-facts.md §1.2",
    quote:
      "Get and Set copy the struct by value. The caller's struct may live on the stack, but the `ctx` it points to must outlive its use.",
  },
  features: ["get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const inner = ctx.getAllocator();
    let calls = 0;
    const mine: PyMemAllocatorEx = {
      ctx: { tag: "first" },
      malloc: (_c, n) => (calls++, inner.malloc(inner.ctx, n)),
      calloc: (_c, a, b) => inner.calloc!(inner.ctx, a, b),
      realloc: (_c, p, n) => inner.realloc(inner.ctx, p, n),
      free: (_c, p) => inner.free(inner.ctx, p),
    };
    const firstCtx = mine.ctx, firstMalloc = mine.malloc;
    ctx.setAllocator(mine);
    mine.ctx = { tag: "changed" };
    mine.malloc = () =>
      ctx.fail("the changed malloc was called: Set kept a reference to the caller's struct");
    const p = ctx.malloc(8);
    const got = ctx.getAllocator();
    ctx.free(p);
    ctx.setAllocator(inner);
    same(ctx, got.ctx, firstCtx, "ctx returned by Get after the caller changed its struct");
    same(ctx, got.malloc, firstMalloc, "malloc returned by Get after the caller changed its struct");
    same(ctx, calls, 1, "calls to the stored malloc");
  },
});
