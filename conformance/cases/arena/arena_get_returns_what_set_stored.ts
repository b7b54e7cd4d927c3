import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";
import type { PyObjectArenaAllocator } from "../../../ref/types.ts";

export default defineCase({
  id: "arena/arena_get_returns_what_set_stored",
  description: "PyObject_GetArenaAllocator returns the ctx, alloc and free PyObject_SetArenaAllocator stored",
  spec: {
    section: "spec/cpython-facts.md §1.1",
    quote: "`PyObjectArenaAllocator`, `PyObject_GetArenaAllocator/SetArenaAllocator`",
  },
  features: ["arena", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["arena", "api-shipped"],
  run(ctx) {
    const inner = ctx.py.PyObject_GetArenaAllocator();
    const mine: PyObjectArenaAllocator = {
      ctx: { arena: 1 },
      alloc: (_c, n) => inner.alloc(inner.ctx, n),
      free: (_c, p, n) => inner.free(inner.ctx, p, n),
    };
    ctx.py.PyObject_SetArenaAllocator(mine);
    const got = ctx.py.PyObject_GetArenaAllocator();
    ctx.py.PyObject_SetArenaAllocator(inner);
    same(ctx, got.ctx, mine.ctx, "arena ctx returned by Get");
    same(ctx, got.alloc, mine.alloc, "arena alloc returned by Get");
    same(ctx, got.free, mine.free, "arena free returned by Get");
  },
});
