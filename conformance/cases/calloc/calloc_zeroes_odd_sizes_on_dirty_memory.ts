import { defineCase } from "../../case.ts";
import { allBytes, nonNull } from "../_lib.ts";

export default defineCase({
  id: "calloc/calloc_zeroes_odd_sizes_on_dirty_memory",
  description:
    "calloc zeroes every byte of odd sizes (1..33) and products (7 x 9, 3 x 5) on recycled dirty memory, no debug hooks",
  spec: {
    section: "spec/cpython-facts.md §1.3",
    quote: "**Memory is not initialised** by malloc or realloc-grow. calloc zeroes it.",
  },
  features: ["calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["calloc"],
  run(ctx) {
    // outside the debug hooks: their pads would hide a dirty tail
    const shapes: Array<[number, number]> = [];
    for (let n = 1; n <= 33; n++) shapes.push([1, n], [n, 1]);
    shapes.push([7, 9], [9, 7], [3, 5], [5, 3], [3, 11], [13, 3]);
    for (const [a, b] of shapes) {
      const n = a * b;
      // dirty blocks of the same size (and the size rounded up to 8 and 16) freed just before
      const dirty: number[] = [];
      for (const m of new Set([n, Math.ceil(n / 8) * 8, Math.ceil(n / 16) * 16])) {
        const d = nonNull(ctx, ctx.malloc(m), `malloc(${m})`);
        ctx.write(d, new Uint8Array(m).fill(0xa5));
        dirty.push(d);
      }
      for (const d of dirty.reverse()) ctx.free(d);
      const p = nonNull(ctx, ctx.calloc(a, b), `calloc(${a}, ${b})`);
      allBytes(ctx, ctx.read(p, n), 0, `calloc(${a}, ${b}) after freeing dirty ${n}-byte blocks`);
      ctx.write(p, new Uint8Array(n).fill(0x5a));
      ctx.free(p);
      const q = nonNull(ctx, ctx.calloc(a, b), `calloc(${a}, ${b}) again`);
      allBytes(ctx, ctx.read(q, n), 0, `calloc(${a}, ${b}) on the block just freed dirty`);
      ctx.free(q);
    }
  },
});
