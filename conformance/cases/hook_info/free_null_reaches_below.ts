import { defineCase } from "../../case.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_info/free_null_reaches_below",
  description: "Informational: free(NULL) through the hook reaches the allocator below as free(NULL)",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote: "and **`free(NULL)`**. A custom allocator therefore has to accept all of these.",
  },
  features: ["free-null", "use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  informational: true,
  run(ctx) {
    const { below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    ctx.free(0);
    const f = below.recorder.calls.filter((c) => c.op === "free");
    if (!f.some((c) => c.args[0] === 0)) {
      ctx.fail(`free(NULL) did not reach the allocator below (it saw ${f.length} other free call(s))`);
    }
  },
});
