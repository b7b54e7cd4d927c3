import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "hook_args/realloc_null_reaches_hook_as_realloc",
  description: "realloc(NULL, 8) reaches the hook as realloc(NULL, 8), not rewritten as malloc",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote:
      "`realloc(NULL,8)` (this is **not** rewritten as malloc), `realloc(p,0)`, and **`free(NULL)`**. A custom allocator therefore has to accept all of these.",
  },
  features: ["hook-args", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  run(ctx) {
    const h = ctx.hook();
    const p = ctx.realloc(0, 8);
    h.uninstall();
    same(
      ctx,
      h.calls.length >= 1 ? `${h.calls[0].op}(${h.calls[0].args.join(",")})` : "no call",
      "realloc(0,8)",
      "first hook call",
    );
    ctx.free(p);
  },
});
