import { defineCase } from "../../case.ts";
import { hex } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_size/own_calloc_overflow_gives_null",
  description:
    "Informational (sizes above PY_SSIZE_T_MAX never reach a hook through the API; conformance/README.md, one size rule): The hook's own calloc given nelem * elsize above SIZE_MAX returns NULL: the product does not wrap to a small block",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote: "Internal allocators only `assert()` this.",
  },
  features: ["size-checks", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  informational: true,
  needs: ["hook", "calloc"],
  run(ctx) {
    const { h, below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    const own = h.own[ctx.domain];
    if (!own.calloc) return ctx.fail("the hook installed no calloc although the domain has one");
    for (
      const [a, b] of [[1n << 63n, 2n], [(1n << 63n) + 1n, 2n], [(1n << 62n) + 1n, 4n], [
        (1n << 60n) + 1n,
        16n,
      ]]
    ) {
      const before = below.recorder.calls.length;
      const p = own.calloc(own.ctx, a as unknown as number, b as unknown as number);
      if (p !== 0) {
        const seen = below.recorder.calls.slice(before).map((c) => `${c.op}(${c.args.join(", ")})`).join(
          ", ",
        );
        ctx.fail(
          `the hook's calloc(${a}, ${b}) returned ${hex(p)}; the allocator below saw: ${seen || "nothing"}`,
        );
      }
    }
  },
});
