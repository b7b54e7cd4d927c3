import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_pads/intact_block_frees_without_report",
  description: "Blocks written only inside [p, p+n) free and realloc without any report (no false positives)",
  spec: {
    section: "spec/cpython-facts.md §2.4",
    quote: "Nothing checks blocks at malloc time, and there is no leak check.",
  },
  features: ["debug-overflow", "debug-underflow"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    for (const n of [0, 1, 7, 8, 16, 100, 511, 512, 513, 4000]) {
      const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
      ctx.fill(p, n, n);
      const q = nonNull(ctx, ctx.realloc(p, n + 9), `realloc(p, ${n + 9})`);
      ctx.verify(q, n, n, `block after realloc ${n} -> ${n + 9}`);
      ctx.free(q);
    }
  },
});
