import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";
import { baseOf, belowFails, hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_failure/failed_realloc_does_not_free_below",
  description:
    "A realloc that failed below leaves the old block owned by the caller: the hook frees nothing below",
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
    const p = nonNull(ctx, ctx.malloc(48), "malloc(48)");
    const base = baseOf(below, p);
    if (base === undefined) return ctx.fail("malloc(48) through the hook reached no allocation below");
    const before = below.recorder.calls.length;
    belowFails(below, true);
    const q = ctx.realloc(p, 4096);
    belowFails(below, false);
    const frees = below.recorder.calls.slice(before).filter((c) => c.op === "free" && c.args[0] === base);
    if (frees.length) {
      ctx.fail(
        `after realloc(p, 4096) failed below (returned ${hex(q)}), the hook freed p's block ${
          hex(base)
        } below: the caller still owns p`,
      );
    }
    ctx.free(q === 0 ? p : q);
  },
});
