import { defineCase } from "../../case.ts";
import { hex } from "../_lib.ts";
import { belowFails, hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_failure/malloc_null_from_below_gives_null",
  description: "When the allocator below the hook returns NULL, malloc through the hook returns NULL",
  spec: {
    section: "PEP 445, Rationale (why hooks)",
    quote: "force allocation to fail to test handling of ``MemoryError`` exception",
  },
  features: ["use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    belowFails(below, true);
    const p = ctx.malloc(64);
    belowFails(below, false);
    if (p !== 0) ctx.fail(`malloc(64) returned ${hex(p)} although every request below returned NULL`);
  },
});
