import { defineCase } from "../../case.ts";
import { allBytes, nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_fill/realloc_growth_fills_clean_byte",
  description:
    "Under the debug hooks, a growing realloc keeps the old bytes and fills the grown region with CLEANBYTE",
  spec: {
    section: "spec/cpython-facts.md §2.3",
    quote: "**[obs]** 4→12 keeps `41 42 43 44` followed by `cd×8`",
  },
  features: ["debug-fill", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    let p = nonNull(ctx, ctx.malloc(4), "malloc(4)");
    ctx.write(p, [0x41, 0x42, 0x43, 0x44]);
    p = nonNull(ctx, ctx.realloc(p, 12), "realloc(p, 12)");
    const got = ctx.read(p, 12);
    if (got[0] !== 0x41 || got[1] !== 0x42 || got[2] !== 0x43 || got[3] !== 0x44) {
      ctx.fail(
        `first 4 bytes after realloc 4 -> 12 are ${
          [...got.slice(0, 4)].map((b) => b.toString(16))
        }, expected 41 42 43 44`,
      );
    }
    allBytes(ctx, got.slice(4), ctx.debug.clean, "grown region [4, 12) after realloc 4 -> 12");
    p = nonNull(ctx, ctx.realloc(p, 2000), "realloc(p, 2000)");
    allBytes(
      ctx,
      ctx.read(p + 12, 2000 - 12),
      ctx.debug.clean,
      "grown region [12, 2000) after realloc 12 -> 2000",
    );
    ctx.free(p);
  },
});
