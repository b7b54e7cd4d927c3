import { defineCase } from "../../case.ts";
import { allBytes, nonNull } from "../_lib.ts";

export default defineCase({
  id: "calloc/calloc_zeroes_recycled_memory",
  description: "calloc returns zeroed memory even when it recycles blocks just freed dirty",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote: "**Memory is not initialised** by malloc or realloc-grow. calloc zeroes it.",
  },
  features: ["calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["calloc"],
  run(ctx) {
    for (const n of [8, 16, 48, 200, 512, 1000, 5000, 40000]) {
      for (let round = 0; round < 4; round++) {
        const dirty = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
        ctx.write(dirty, new Uint8Array(n).fill(0xa5));
        ctx.free(dirty);
        const p = nonNull(ctx, ctx.calloc(1, n), `calloc(1, ${n})`);
        allBytes(ctx, ctx.read(p, n), 0, `calloc(1, ${n}) after freeing a dirty ${n}-byte block`);
        const q = nonNull(ctx, ctx.calloc(n, 1), `calloc(${n}, 1)`);
        allBytes(ctx, ctx.read(q, n), 0, `calloc(${n}, 1)`);
        ctx.free(p);
        ctx.free(q);
      }
    }
  },
});
