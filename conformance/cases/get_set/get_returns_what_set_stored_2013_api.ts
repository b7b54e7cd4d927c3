import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";
import type { PyMemAllocators } from "../../../ref/types.ts";

export default defineCase({
  id: "get_set/get_returns_what_set_stored_2013_api",
  description:
    "The 2013 draft API (PyMem_GetRawAllocators/SetRawAllocators, PyMem_Get/SetAllocators, PyObject_Get/SetAllocators) returns what it stored",
  spec: {
    section: "PEP 445, Proposal / API changes",
    quote: "``void PyMem_GetRawAllocators(PyMemAllocators *allocators)``",
  },
  features: ["get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-2013"],
  run(ctx) {
    const inner = ctx.get2013();
    const mine: PyMemAllocators = {
      ctx: { tag: "2013" },
      malloc: (_c, n) => inner.malloc(inner.ctx, n),
      realloc: (_c, p, n) => inner.realloc(inner.ctx, p, n),
      free: (_c, p) => inner.free(inner.ctx, p),
    };
    ctx.set2013(mine);
    const got = ctx.get2013();
    ctx.set2013(inner);
    same(ctx, got.ctx, mine.ctx, "ctx returned by the 2013 Get");
    same(ctx, got.malloc, mine.malloc, "malloc returned by the 2013 Get");
    same(ctx, got.realloc, mine.realloc, "realloc returned by the 2013 Get");
    same(ctx, got.free, mine.free, "free returned by the 2013 Get");
  },
});
