import { defineCase } from "../../case.ts";
import { allBytes, nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_fill/calloc_leaves_zero",
  description: "Under the debug hooks, calloc data stays zero (no CLEANBYTE fill), also for recycled memory",
  spec: {
    section: "spec/cpython-facts.md §2.3",
    quote: "calloc: writes header and tail; data is left at zero.",
  },
  features: ["debug-fill", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks", "calloc"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    for (const n of [1, 16, 100, 600, 3000]) {
      ctx.free(nonNull(ctx, ctx.malloc(n), `malloc(${n})`));
      const p = nonNull(ctx, ctx.calloc(n, 1), `calloc(${n}, 1)`);
      allBytes(ctx, ctx.read(p, n), 0, `data of calloc(${n}, 1) under the debug hooks`);
      ctx.free(p);
    }
  },
});
