import { defineCase } from "../../case.ts";
import { hex, nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "size_checks/impossible_size_gives_null",
  description:
    "Requests no address space can hold (malloc(2**62), calloc products of 2**62 and more, realloc(p, 2**62)) give NULL; p stays intact",
  spec: {
    section: "spec/cpython-facts.md §3 (overflow edge cases)",
    quote: "`PyMem_Calloc(2**62,4)` and `PyObject_Calloc(2**32,2**31)` all returned NULL.",
  },
  features: ["size-checks"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    // below PY_SSIZE_T_MAX, so the entry points pass them on; a 64-bit address space is at most 2**57
    // (sizes above 2**53 go to the entry points as bigint)
    const blockFor = (p: number, what: string) => {
      if (p !== 0) {
        ctx.free(p);
        ctx.fail(`${what} returned a block (${hex(p)}) that cannot hold the bytes asked for: expected NULL`);
      }
    };
    blockFor(ctx.malloc(2n ** 62n), "malloc(2**62)");
    blockFor(ctx.malloc(2n ** 58n + 1n), "malloc(2**58 + 1)");
    for (
      const [a, b] of [[2n ** 31n, 2n ** 31n], [3n, 2n ** 61n], [2n ** 40n + 1n, 2n ** 20n], [2n ** 62n, 1n]]
    ) {
      blockFor(ctx.calloc(a, b), `calloc(${a}, ${b})`);
    }
    const p = nonNull(ctx, ctx.malloc(40), "malloc(40)");
    ctx.fill(p, 40, 62);
    const q = ctx.realloc(p, 2n ** 62n);
    if (q !== 0) {
      ctx.free(q);
      ctx.fail(`realloc(p, 2**62) returned a block (${hex(q)}): expected NULL with p left valid`);
    }
    same(ctx, q, 0, "realloc(p, 2**62)");
    ctx.verify(p, 40, 62, "p after realloc(p, 2**62) failed");
    ctx.free(p);
  },
});
