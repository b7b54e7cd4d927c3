import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";
import { DOMAINS } from "../../../ref/types.ts";

export default defineCase({
  id: "unknown_domain/set_unknown_domain_ignored",
  description: "PyMem_SetAllocator on an unknown domain changes no domain and its allocator is never called",
  spec: {
    section: "spec/cpython-facts.md §1.2",
    quote: "and `PyMem_SetAllocator(unknown)` is silently ignored",
  },
  features: ["unknown-domain", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["api-shipped"],
  run(ctx) {
    const before = DOMAINS.map((d) => ctx.py.PyMem_GetAllocator(d));
    let called = 0;
    const bad = () => (called++, 0);
    ctx.py.PyMem_SetAllocator(7, {
      ctx: { bad: true },
      malloc: bad,
      calloc: bad,
      realloc: bad,
      free: () => void called++,
    });
    DOMAINS.forEach((d, i) => {
      const now = ctx.py.PyMem_GetAllocator(d);
      same(ctx, now.malloc, before[i].malloc, `domain ${d} malloc after Set(7)`);
      same(ctx, now.ctx, before[i].ctx, `domain ${d} ctx after Set(7)`);
    });
    for (const d of ["RAW", "MEM", "OBJ"] as const) {
      ctx.on(d).free(nonNull(ctx, ctx.on(d).malloc(10), `${d} malloc(10)`));
    }
    same(ctx, called, 0, "calls to the allocator set on domain 7");
  },
});
