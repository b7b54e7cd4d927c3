import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";

export default defineCase({
  id: "alignment/calloc_and_realloc_results_aligned",
  description:
    "calloc and realloc results are as aligned as malloc's: min(16, largest power of two <= n) (8 in the 2013 profile)",
  spec: {
    section: "spec/third-party-allocators.md (consequences)",
    quote:
      'Keep "16 for every size" and "the weak rule min(16, largest power of two <= size)" apart, so allocators are judged by the rule they claim.',
  },
  features: ["alignment", "calloc", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    // pymalloc's ALIGNMENT was 8 before 3.8 (cpython-facts.md §1.3): the 2013 profile caps the rule at 8
    const cap = ctx.profile === "cpython" ? 16 : 8;
    const want = (n: number) => Math.min(cap, 2 ** Math.floor(Math.log2(Math.max(n, 1))));
    const check = (p: number, n: number, what: string) => {
      if (p % want(n) !== 0) ctx.fail(`${what} returned ${hex(p)}, not ${want(n)}-byte aligned`);
    };
    const live: number[] = [];
    const sizes = [
      1,
      2,
      3,
      5,
      8,
      9,
      15,
      16,
      17,
      24,
      31,
      33,
      48,
      64,
      100,
      255,
      256,
      511,
      512,
      513,
      1000,
      5000,
    ];
    for (const n of sizes) {
      for (const [a, b] of [[1, n], [n, 1]]) {
        const p = nonNull(ctx, ctx.calloc(a, b), `calloc(${a}, ${b})`);
        live.push(p);
        check(p, n, `calloc(${a}, ${b})`);
      }
    }
    for (const [a, b] of [[3, 5], [7, 9], [2, 8], [4, 6], [16, 32], [5, 100]]) {
      const p = nonNull(ctx, ctx.calloc(a, b), `calloc(${a}, ${b})`);
      live.push(p);
      check(p, a * b, `calloc(${a}, ${b})`);
    }
    // realloc: from NULL, growing and shrinking through the sizes, across pymalloc's threshold
    let p = nonNull(ctx, ctx.realloc(0, 3), "realloc(NULL, 3)");
    check(p, 3, "realloc(NULL, 3)");
    for (const n of [...sizes, ...[...sizes].reverse()]) {
      p = nonNull(ctx, ctx.realloc(p, n), `realloc(p, ${n})`);
      check(p, n, `realloc(p, ${n})`);
      const q = nonNull(ctx, ctx.malloc(n), `malloc(${n})`); // keep neighbours live so blocks move
      live.push(q);
    }
    ctx.free(p);
    for (const q of live) ctx.free(q);
  },
});
