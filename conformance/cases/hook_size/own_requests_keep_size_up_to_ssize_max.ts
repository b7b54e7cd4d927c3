import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";
import { belowFails, hookOf } from "../_hook.ts";
import { PY_SSIZE_T_MAX } from "../../../ref/types.ts";

/** Sizes a caller can pass through the API (<= PY_SSIZE_T_MAX) that do not fit in 32 bits. */
const SIZES = [2n ** 32n + 16n, 2n ** 48n + 16n, PY_SSIZE_T_MAX - 64n, PY_SSIZE_T_MAX];
/** calloc(nelem, elsize) pairs whose product is at most PY_SSIZE_T_MAX and does not fit in 32 bits. */
const PAIRS: Array<[bigint, bigint]> = [[2n ** 32n + 16n, 1n], [1n, 2n ** 32n + 16n], [
  2n ** 20n + 1n,
  2n ** 20n + 1n,
], [
  PY_SSIZE_T_MAX / 2n,
  2n,
]];

export default defineCase({
  id: "hook_size/own_requests_keep_size_up_to_ssize_max",
  description:
    "Up to PY_SSIZE_T_MAX (sizes the API lets through), the hook's own malloc, calloc and realloc ask the allocator below for at least the size requested (no size bits lost), and give NULL when it fails",
  spec: {
    section: "cpython-facts.md §1.3 (size checks)",
    quote:
      "malloc/realloc return NULL when `n > PY_SSIZE_T_MAX`; calloc returns NULL when `elsize != 0 && nelem > PY_SSIZE_T_MAX/elsize`. The hook is **not** called in those cases",
  },
  features: ["size-checks"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { h, below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    const own = h.own[ctx.domain];
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    ctx.fill(p, 16, 5);
    // every request below fails (nothing that large is really allocated); what reached it is recorded
    const check = (what: string, want: bigint, call: () => number) => {
      const before = below.recorder.calls.length;
      belowFails(below, true);
      const r = call();
      belowFails(below, false);
      const seen = below.recorder.calls.slice(before).filter((c) => c.op !== "free");
      if (r !== 0) ctx.fail(`the hook's ${what} returned ${hex(r)} although every request below failed`);
      for (const c of seen) {
        const size = c.op === "calloc" ? c.args[0] * c.args[1] : c.op === "realloc" ? c.args[1] : c.args[0];
        if (size < Number(want)) {
          ctx.fail(
            `the hook's ${what} asked the allocator below for ${c.op}(${
              c.args.join(", ")
            }): fewer bytes than requested (size bits lost)`,
          );
        }
      }
    };
    for (const n of SIZES) check(`malloc(${n})`, n, () => own.malloc(own.ctx, n as unknown as number));
    if (own.calloc) {
      for (const [a, b] of PAIRS) {
        check(
          `calloc(${a}, ${b})`,
          a * b,
          () => own.calloc!(own.ctx, a as unknown as number, b as unknown as number),
        );
      }
    }
    for (const n of SIZES) {
      check(`realloc(p, ${n})`, n, () => own.realloc(own.ctx, p, n as unknown as number));
    }
    ctx.verify(p, 16, 5, "p after the failed reallocs");
    ctx.free(p);
  },
});
