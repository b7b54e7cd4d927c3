import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "threads/raw_stress_hands_blocks_between_threads",
  description:
    "RAW is thread-safe: 8 threads hand blocks to each other via PyMem_RawMalloc/RawFree; content hashes match on free",
  spec: {
    section: "cpython-facts.md §1.3 (per-domain rules)",
    quote: "not required; allocator **must be thread-safe**",
  },
  features: ["threads"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["threads"],
  run(ctx) {
    const stress = ctx.target.stressRaw;
    if (!stress) return ctx.fail(`${ctx.target.label} declares "threads" but has no stressRaw`);
    const mismatches = stress(8, 5000, 445);
    if (mismatches < 0) ctx.fail("stressRaw could not run: RAW's allocator calls into JS");
    same(ctx, mismatches, 0, "content-hash mismatches found by the RAW thread stress");
  },
});
