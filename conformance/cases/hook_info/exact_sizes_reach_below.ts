import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_info/exact_sizes_reach_below",
  description:
    "Informational: malloc(42) through the hook reaches the allocator below as malloc(42) (a header-prefixing hook adds its header)",
  spec: {
    section: "spec/cpython-facts.md §5 (test_setallocators)",
    quote: "that the size arguments are exact (42; ptr and 200; 2 and 5);",
  },
  features: ["hook-args", "use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  informational: true,
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    ctx.free(nonNull(ctx, ctx.malloc(42), "malloc(42)"));
    const m = below.recorder.calls.filter((c) => c.op === "malloc");
    if (!m.some((c) => c.args[0] === 42)) {
      ctx.fail(
        `malloc(42) reached the allocator below as ${
          m.map((c) => `malloc(${c.args[0]})`).join(", ") || "nothing"
        }`,
      );
    }
  },
});
