import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "zero_size/malloc_zero_distinct_non_null",
  description: "Two malloc(0) calls return distinct non-NULL pointers in every domain",
  spec: {
    section: "spec/cpython-facts.md §1.3 (PyMem docs, PEP 445)",
    quote: "returns a distinct non-NULL pointer if possible, as if X_Malloc(1) had been called",
  },
  features: ["zero-size"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const a = nonNull(ctx, ctx.malloc(0), "first malloc(0)");
    const b = nonNull(ctx, ctx.malloc(0), "second malloc(0)");
    if (a === b) ctx.fail(`two live malloc(0) blocks share the address 0x${a.toString(16)}`);
    ctx.free(a);
    ctx.free(b);
  },
});
