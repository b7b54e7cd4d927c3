import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "debug_fill/realloc_to_zero_keeps_block",
  description: "Under the debug hooks, realloc(p, 0) gives a non-NULL block whose size field is 0",
  spec: { section: "spec/cpython-facts.md §2.3", quote: "realloc(p,0) gives non-NULL with size field 0." },
  features: ["debug-fill", "zero-size", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(24), "malloc(24)");
    const q = nonNull(ctx, ctx.realloc(p, 0), "realloc(p, 0)");
    const size = new DataView(ctx.read(q - 16, 8).buffer).getBigUint64(0, false);
    same(ctx, size, 0n, "big-endian size field at p-16 after realloc(p, 0)");
    ctx.free(q);
  },
});
