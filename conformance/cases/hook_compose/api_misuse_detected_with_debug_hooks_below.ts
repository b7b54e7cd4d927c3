import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_compose/api_misuse_detected_with_debug_hooks_below",
  description:
    "With the debug hooks set up BELOW the hook, a MEM block freed by PyMem_RawFree is still reported as bad ID ('m' verified as 'r')",
  spec: {
    section: "PEP 445, Rationale (why hooks)",
    quote:
      "detect buffer underflow, buffer overflow and detect misuse of Python allocator APIs (builtin Python debug hooks)",
  },
  features: ["debug-setup", "debug-api-id", "use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["hook", "debug-hooks"],
  expect: {
    violation: "bad_id",
    func: "_PyMem_DebugRawFree",
    text: [/bad ID: Allocated using API 'm', verified using API 'r'/],
  },
  run(ctx) {
    hookOf(ctx).h.reinstall(() => ctx.py.PyMem_SetupDebugHooks());
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.py.PyMem_RawFree(p);
  },
});
