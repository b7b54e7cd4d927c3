import { defineCase } from "../../case.ts";
import { same } from "../_lib.ts";

export default defineCase({
  id: "size_checks/calloc_product_at_limit_not_refused_early",
  description:
    "calloc with a product just under PY_SSIZE_T_MAX (2**31 x 2**31) reaches the allocator: only real overflow is refused",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote: "calloc returns NULL when `elsize != 0 && nelem > PY_SSIZE_T_MAX/elsize`.",
  },
  features: ["size-checks", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-shipped", "calloc"],
  run(ctx) {
    const h = ctx.hook();
    const p = ctx.calloc(1n << 31n, 1n << 31n);
    h.uninstall();
    if (p !== 0) ctx.free(p);
    if (h.calls.length === 0) {
      ctx.fail(
        "calloc(2**31, 2**31) (4 EiB, below PY_SSIZE_T_MAX) never reached the allocator: the overflow check refuses valid products",
      );
    }
    same(
      ctx,
      h.calls[0].op === "calloc" || h.calls[0].op === "malloc",
      true,
      `first hook call is calloc or malloc (got ${h.calls[0].op})`,
    );
  },
});
