import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";

export default defineCase({
  id: "no_overlap/live_blocks_never_overlap",
  description:
    "Under a seeded random malloc/calloc/realloc/free mix, live blocks never overlap and keep their contents",
  spec: {
    section: "spec/third-party-allocators.md (what allocator test suites check)",
    quote: "seeded-random contents checked after every operation",
  },
  features: ["no-overlap"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const live = new Map<number, { n: number; seed: number }>();
    const sizes = [0, 1, 8, 16, 24, 33, 64, 100, 256, 511, 512, 513, 1024, 3000, 20000];
    let seed = 1;
    const check = (p: number, n: number, what: string) => {
      for (const [q, b] of live) {
        if (q === p) continue;
        if (p < q + Math.max(b.n, 1) && q < p + Math.max(n, 1)) {
          ctx.fail(`${what} returned ${hex(p)} (+${n}) overlapping live ${hex(q)} (+${b.n})`);
        }
      }
    };
    for (let step = 0; step < 600; step++) {
      const r = ctx.rng.int(0, 9);
      const keys = [...live.keys()];
      if (r < 4 || keys.length === 0) {
        const n = sizes[ctx.rng.int(0, sizes.length - 1)];
        const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
        check(p, n, `malloc(${n})`);
        ctx.fill(p, n, ++seed);
        live.set(p, { n, seed });
      } else if (r < 7) {
        const p = keys[ctx.rng.int(0, keys.length - 1)];
        const b = live.get(p)!;
        ctx.verify(p, b.n, b.seed, `live block ${hex(p)} before free`);
        ctx.free(p);
        live.delete(p);
      } else {
        const p = keys[ctx.rng.int(0, keys.length - 1)];
        const b = live.get(p)!;
        const n = sizes[ctx.rng.int(1, sizes.length - 1)]; // realloc(p, 0) has its own case
        const q = nonNull(ctx, ctx.realloc(p, n), `realloc(${hex(p)}, ${n})`);
        live.delete(p);
        check(q, n, `realloc(p, ${n})`);
        ctx.verify(q, Math.min(n, b.n), b.seed, `prefix after realloc(${b.n} -> ${n})`);
        ctx.fill(q, n, ++seed);
        live.set(q, { n, seed });
      }
    }
    for (const [p, b] of live) {
      ctx.verify(p, b.n, b.seed, `live block ${hex(p)} at the end`);
      ctx.free(p);
    }
  },
});
