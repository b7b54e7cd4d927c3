import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "zero_size/zero_size_block_usable_after_other_allocations",
  description: "A malloc(0) block stays distinct from every later live block (it is a real minimal block)",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote: "says plainly that the *new allocator* must return a distinct non-NULL pointer for 0 bytes.",
  },
  features: ["zero-size", "no-overlap"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const z = nonNull(ctx, ctx.malloc(0), "malloc(0)");
    const seen = new Set<number>([z]);
    const live: number[] = [];
    for (let i = 0; i < 64; i++) {
      const p = nonNull(ctx, ctx.malloc(i % 2 ? 0 : 1 + i), `malloc #${i}`);
      if (seen.has(p)) ctx.fail(`allocation #${i} returned 0x${p.toString(16)}, the address of a live block`);
      seen.add(p);
      live.push(p);
    }
    for (const p of live) ctx.free(p);
    ctx.free(z);
  },
});
