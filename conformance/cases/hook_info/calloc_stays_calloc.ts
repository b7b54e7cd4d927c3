import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_info/calloc_stays_calloc",
  description:
    "Informational: calloc through the hook reaches the allocator below as a calloc (not malloc + memset)",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote: "**Memory is not initialised** by malloc or realloc-grow. calloc zeroes it.",
  },
  features: ["calloc", "use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook", "calloc"],
  informational: true,
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    ctx.free(nonNull(ctx, ctx.calloc(2, 5), "calloc(2, 5)"));
    const ops = below.recorder.calls.map((c) => c.op);
    if (!ops.includes("calloc")) ctx.fail(`calloc(2, 5) reached the allocator below as ${ops.join(", ")}`);
  },
});
