import { defineCase } from "../../case.ts";
import { EVERY_ALLOCATING_PATH, failEveryPath, same } from "../_lib.ts";
import { PY_SSIZE_T_MAX } from "../../../ref/types.ts";

export default defineCase({
  id: "size_checks/ssize_max_itself_reaches_allocator",
  description:
    "The size check is `n > PY_SSIZE_T_MAX`: malloc(PY_SSIZE_T_MAX) is passed to the allocator (which then fails)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote: "malloc/realloc return NULL when `n > PY_SSIZE_T_MAX`",
  },
  features: ["size-checks"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped"],
  injectsFailure: {
    // the hook answers NULL itself on every path, so no real allocator is asked for 2**63 bytes
    fails: EVERY_ALLOCATING_PATH,
    precondition: "none: whether malloc(PY_SSIZE_T_MAX) reaches the allocator is the observable itself",
  },
  run(ctx) {
    const h = ctx.hook();
    failEveryPath(h); // the hook answers NULL itself: only the entry point's bound is under test
    const p = ctx.malloc(PY_SSIZE_T_MAX);
    h.uninstall();
    same(ctx, p, 0, "malloc(PY_SSIZE_T_MAX) on a 64-bit host");
    const first = h.calls[0];
    if (!first) {
      ctx.fail("malloc(PY_SSIZE_T_MAX) did not reach the allocator: the entry point's bound is off by one");
    }
    if (first.op !== "malloc" || first.args[0] < 2 ** 62) {
      ctx.fail(`expected the hook to see malloc(~2**63), saw ${first.op}(${first.args.join(", ")})`);
    }
  },
});
