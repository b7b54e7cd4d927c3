import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";
import { hookOf, SIZE_MAX } from "../_hook.ts";
import { PY_SSIZE_T_MAX } from "../../../ref/types.ts";

export default defineCase({
  id: "hook_size/own_realloc_near_size_max_gives_null",
  description:
    "Informational (sizes above PY_SSIZE_T_MAX never reach a hook through the API; conformance/README.md, one size rule): The hook's own realloc(p, PY_SSIZE_T_MAX + 1 .. SIZE_MAX) returns NULL and leaves p valid: no wrap to a small block",
  spec: {
    section: "spec/cpython-facts.md §1.3 (size checks)",
    quote: "Internal allocators only `assert()` this.",
  },
  features: ["size-checks", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  informational: true,
  needs: ["hook"],
  run(ctx) {
    const { h, below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    const own = h.own[ctx.domain];
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    ctx.fill(p, 16, 9);
    for (const n of [PY_SSIZE_T_MAX + 1n, SIZE_MAX - 31n, SIZE_MAX - 15n, SIZE_MAX]) {
      const before = below.recorder.calls.length;
      const q = own.realloc(own.ctx, p, n as unknown as number);
      if (q !== 0) {
        const seen = below.recorder.calls.slice(before).map((c) => `${c.op}(${c.args.join(", ")})`).join(
          ", ",
        );
        ctx.fail(
          `the hook's realloc(p, ${n}) returned ${hex(q)}; the allocator below saw: ${seen || "nothing"}`,
        );
      }
    }
    ctx.verify(p, 16, 9, "p after the refused reallocs");
    ctx.free(p);
  },
});
