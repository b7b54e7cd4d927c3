import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";

export default defineCase({
  id: "realloc/shrink_leaves_neighbours_intact",
  description:
    "A shrinking realloc writes nothing past its new end: live guard blocks on both sides of the old block and of the slot it may move to are intact after the shrink",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract)",
    quote: "Contents are kept up to min(old,new).",
  },
  features: ["realloc", "no-overlap"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    let seed = 1000;
    for (const [from, to] of [[500, 24], [300, 200], [6000, 40], [1000, 600], [100, 3], [64, 1], [40, 1]]) {
      const guards: Array<{ p: number; n: number; seed: number; what: string }> = [];
      const guard = (n: number, what: string) => {
        const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
        ctx.fill(p, n, ++seed);
        guards.push({ p, n, seed, what });
        return p;
      };
      // (realloc(p, 0) has its own case: zero_size/realloc_to_zero_non_null)
      // the slot a moving shrink lands in (LIFO reuse) between two live blocks of the new size
      const dest: number[] = [];
      for (let i = 0; i < 9; i++) dest.push(guard(Math.max(to, 1), `block ${i} of size ${Math.max(to, 1)}`));
      guard(from, `block before the shrunk one (size ${from})`);
      const b = nonNull(ctx, ctx.malloc(from), `malloc(${from})`);
      guard(from, `block after the shrunk one (size ${from})`);
      const gone = guards.splice(4, 1)[0];
      ctx.free(gone.p);
      ctx.fill(b, from, 7);
      const q = nonNull(ctx, ctx.realloc(b, to), `realloc(p, ${to})`); // p: a block of `from` bytes
      ctx.verify(q, to, 7, `the ${to} bytes kept by realloc(p, ${to})`);
      for (const g of guards) {
        ctx.verify(
          g.p,
          g.n,
          g.seed,
          `live ${g.what} at ${hex(g.p)} after realloc(${from} -> ${to}) gave ${hex(q)}`,
        );
      }
      ctx.free(q);
      for (const g of guards) ctx.free(g.p);
    }
  },
});
