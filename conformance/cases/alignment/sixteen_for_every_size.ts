import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "alignment/sixteen_for_every_size",
  description: "Every block is 16-byte aligned, whatever its size (CPython 3.8+ on 64-bit; glibc)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (alignment)",
    quote: "Observed: every block was 16-aligned in `debug`, `pymalloc_debug` and `malloc_debug`",
  },
  features: ["alignment"],
  profiles: ["cpython"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const live: number[] = [];
    for (
      const n of [
        0,
        1,
        2,
        3,
        5,
        7,
        8,
        9,
        12,
        15,
        16,
        17,
        24,
        31,
        40,
        56,
        64,
        100,
        200,
        255,
        512,
        513,
        1000,
        4096,
        100000,
      ]
    ) {
      for (let k = 0; k < 3; k++) {
        const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
        live.push(p);
        if (p % 16 !== 0) ctx.fail(`malloc(${n}) returned 0x${p.toString(16)}, not 16-byte aligned`);
      }
    }
    for (const p of live) ctx.free(p);
  },
});
