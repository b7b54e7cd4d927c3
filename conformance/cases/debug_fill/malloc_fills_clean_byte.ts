import { defineCase } from "../../case.ts";
import { allBytes, nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_fill/malloc_fills_clean_byte",
  description:
    "Under the debug hooks, malloc(n) fills the n data bytes with CLEANBYTE (0xCD; 0xCB before 3.8)",
  spec: {
    section: "spec/cpython-facts.md §2.1 (block layout)",
    quote: "data: CLEANBYTE after malloc; zero after calloc; nothing written when n==0",
  },
  features: ["debug-fill"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    for (const n of [1, 16, 100, 600, 3000]) {
      const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
      allBytes(ctx, ctx.read(p, n), ctx.debug.clean, `data of malloc(${n}) under the debug hooks`);
      ctx.free(p);
    }
  },
});
