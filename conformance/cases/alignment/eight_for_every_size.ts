import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "alignment/eight_for_every_size",
  description: "Every block is at least 8-byte aligned (pymalloc's ALIGNMENT before 3.8)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (alignment)",
    quote: "pymalloc returns 8-byte alignment up to 3.7 and 16-byte alignment on 64-bit from 3.8",
  },
  features: ["alignment"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const live: number[] = [];
    for (const n of [0, 1, 3, 8, 12, 20, 24, 40, 72, 200, 504, 512, 600, 5000]) {
      for (let k = 0; k < 3; k++) {
        const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
        live.push(p);
        if (p % 8 !== 0) ctx.fail(`malloc(${n}) returned 0x${p.toString(16)}, not 8-byte aligned`);
      }
    }
    for (const p of live) ctx.free(p);
  },
});
