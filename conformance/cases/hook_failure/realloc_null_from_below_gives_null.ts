import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";
import { belowFails, hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_failure/realloc_null_from_below_gives_null",
  description: "When the allocator below the hook returns NULL, realloc through the hook returns NULL",
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
    const p = nonNull(ctx, ctx.malloc(32), "malloc(32)");
    belowFails(below, true);
    const q = ctx.realloc(p, 4096);
    belowFails(below, false);
    if (q !== 0) ctx.fail(`realloc(p, 4096) returned ${hex(q)} although every request below returned NULL`);
    ctx.free(p);
  },
});
