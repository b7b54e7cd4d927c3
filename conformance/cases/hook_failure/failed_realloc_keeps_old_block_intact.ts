import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { belowFails, hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_failure/failed_realloc_keeps_old_block_intact",
  description: "After realloc through the hook failed below, the old block still holds its bytes",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "On failure it returns NULL and **p stays valid**.",
  },
  features: ["use-case", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    for (const [n, grow] of [[48, 4096], [600, 100_000], [48, 8]]) {
      const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
      ctx.fill(p, n, n);
      belowFails(below, true);
      const q = ctx.realloc(p, grow);
      belowFails(below, false);
      if (q !== 0) { // not this case's rule (hook_failure/realloc_null_from_below_gives_null)
        ctx.free(q);
        continue;
      }
      ctx.verify(p, n, n, `the old ${n}-byte block after a failed realloc(p, ${grow})`);
      ctx.free(p);
    }
  },
});
