import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_forward/each_domain_forwards_to_its_own_allocator",
  description: "The hook of a domain forwards malloc and free to the allocator it wrapped in THAT domain",
  spec: {
    section: "PEP 445, Use case 3 / Alternatives",
    quote:
      "but the hook must call a different function depending on the allocator. The context is a convenient way to reuse the same allocator or hook for different APIs.",
  },
  features: ["use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { h, below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    h.clear();
    const p = nonNull(ctx, ctx.malloc(24), "malloc(24)");
    ctx.free(p);
    const ops = below.recorder.calls.map((c) => c.op).join(",");
    for (const want of ["malloc", "free"]) {
      if (!ops.includes(want)) {
        ctx.fail(
          `${want} never reached ${ctx.domain}'s allocator below the hook (it saw: ${ops || "nothing"})`,
        );
      }
    }
  },
});
