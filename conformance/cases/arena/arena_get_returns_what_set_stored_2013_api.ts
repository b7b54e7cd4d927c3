import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "arena/arena_get_returns_what_set_stored_2013_api",
  description: "_PyObject_GetArenaAllocators returns what _PyObject_SetArenaAllocators stored",
  spec: {
    section: "PEP 445, Proposal / API changes",
    quote: "Add new functions to get and set memory mapping allocators:",
  },
  features: ["arena", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["arena", "api-2013"],
  run(ctx) {
    const inner = ctx.py._PyObject_GetArenaAllocators();
    const c = { arena2013: 1 };
    const alloc = (_c: unknown, n: number) => inner.alloc(inner.ctx, n);
    const free = (_c: unknown, p: number, n: number) => inner.free(inner.ctx, p, n);
    ctx.py._PyObject_SetArenaAllocators(c, alloc, free);
    const got = ctx.py._PyObject_GetArenaAllocators();
    ctx.py._PyObject_SetArenaAllocators(inner.ctx, inner.alloc, inner.free);
    same(ctx, got.ctx, c, "arena ctx returned by the 2013 Get");
    same(ctx, got.alloc, alloc, "arena malloc returned by the 2013 Get");
    same(ctx, got.free, free, "arena free returned by the 2013 Get");
  },
});
