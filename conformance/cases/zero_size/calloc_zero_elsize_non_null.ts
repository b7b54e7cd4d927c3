import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "zero_size/calloc_zero_elsize_non_null",
  description: "calloc(5, 0) returns distinct non-NULL pointers (as calloc(1, 1))",
  spec: {
    section: "spec/cpython-facts.md §3 (observed)",
    quote: "Zero sizes: `calloc(0,5)` and `calloc(5,0)` returned non-NULL with size field 0.",
  },
  features: ["zero-size", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["calloc"],
  run(ctx) {
    const a = nonNull(ctx, ctx.calloc(5, 0), "first calloc(5, 0)");
    const b = nonNull(ctx, ctx.calloc(5, 0), "second calloc(5, 0)");
    if (a === b) ctx.fail(`two live calloc(5, 0) blocks share the address 0x${a.toString(16)}`);
    ctx.free(a);
    ctx.free(b);
  },
});
