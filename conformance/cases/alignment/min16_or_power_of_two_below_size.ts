import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "alignment/min16_or_power_of_two_below_size",
  description: "The weak rule: a block of n bytes is aligned to min(16, largest power of two <= n)",
  spec: {
    section: "spec/third-party-allocators.md (consequences)",
    quote:
      'Keep "16 for every size" and "the weak rule min(16, largest power of two <= size)" apart, so allocators are judged by the rule they claim.',
  },
  features: ["alignment"],
  // not pep445-2013: pymalloc's ALIGNMENT was 8 before 3.8, so a 24-byte block may be only 8-aligned there
  profiles: ["cpython"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const live: number[] = [];
    for (let n = 1; n <= 130; n++) {
      const want = Math.min(16, 2 ** Math.floor(Math.log2(n)));
      const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
      live.push(p);
      if (p % want !== 0) ctx.fail(`malloc(${n}) returned 0x${p.toString(16)}, not ${want}-byte aligned`);
    }
    for (const p of live) ctx.free(p);
  },
});
