import { defineCase } from "../../case.ts";
import { nonNull, same, skipOverDebugDefaults } from "../_lib.ts";

export default defineCase({
  id: "debug_setup/debug_calloc_passes_calloc_one_total",
  description:
    "The debug layer turns calloc(3, 5) into calloc(1, 15 + overhead) below it (nelem and elsize are lost)",
  spec: {
    section: "spec/cpython-facts.md §7 (invariants)",
    quote: "The debug layer passes `calloc(1, n+3S)` down.",
  },
  features: ["debug-setup", "calloc", "hook-args"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks", "api-shipped", "calloc"],
  run(ctx) {
    skipOverDebugDefaults(ctx);
    const h = ctx.hook();
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.calloc(3, 5), "calloc(3, 5)");
    ctx.free(p);
    const c = h.calls.find((x) => x.op === "calloc");
    same(
      ctx,
      c ? c.args.join(",") : "no calloc",
      `1,${15 + ctx.debug.overhead}`,
      "calloc arguments below the debug layer",
    );
  },
});
