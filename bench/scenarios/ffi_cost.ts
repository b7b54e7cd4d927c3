/**
 * Scenario `ffi_cost`: what one call across the FFI costs in this runtime (mitata micro-benchmarks;
 * crossRuntime, so Deno and Bun both appear), next to the same work without FFI.
 *
 * - bare FFI: this runtime's own dlopen of liballocspec.so (`allocspec_abi_version()`, and a
 *   `PyMem_RawMalloc(16)` + `PyMem_RawFree` pair with the size passed the fast way: bigint in Deno,
 *   number in Bun; deno-bun-facts.md §2);
 * - the native loader (native/mod.ts openNative): the same pair through the `Pep445` interface
 *   (argument checks + FFI);
 * - ref/: the same pair in TypeScript, no FFI.
 *
 * Figures: `ffi_call_ns_<runtime>`, `ffi_malloc_free_pair_ns_<runtime>`, `loader_malloc_free_pair_ns_<runtime>`,
 * `ref_malloc_free_pair_ns_<runtime>` (mitata p50 per call).
 *
 * Sample output: the SAMPLE OUTPUT comment at the end of this file.
 * @module
 */
import { do_not_optimize, runGroup } from "../harness.ts";
import { refModule } from "../native_glue.ts";
import type { Scenario } from "../scenario.ts";
import { round } from "../stats.ts";

/** A minimal direct binding of three symbols, bypassing the native loader. */
async function bareBinding(
  libPath: string,
): Promise<{ abi: () => number; pair: () => void; close: () => void }> {
  const g = globalThis as any;
  if (g.Bun) {
    const spec = "bun:ffi";
    const { dlopen } = await import(spec);
    const lib = dlopen(libPath, {
      allocspec_abi_version: { args: [], returns: "i32" },
      PyMem_RawMalloc: { args: ["u64"], returns: "ptr" },
      PyMem_RawFree: { args: ["ptr"], returns: "void" },
    });
    const s = lib.symbols;
    return {
      abi: () => s.allocspec_abi_version(),
      pair: () => s.PyMem_RawFree(s.PyMem_RawMalloc(16)),
      close: () => lib.close(),
    };
  }
  const lib = g.Deno.dlopen(libPath, {
    allocspec_abi_version: { parameters: [], result: "i32" },
    PyMem_RawMalloc: { parameters: ["usize"], result: "pointer" },
    PyMem_RawFree: { parameters: ["pointer"], result: "void" },
  });
  const s = lib.symbols;
  return {
    abi: () => s.allocspec_abi_version(),
    pair: () => s.PyMem_RawFree(s.PyMem_RawMalloc(16n)),
    close: () => lib.close(),
  };
}

/** calls before mitata starts, so its first call is steady-state and it batches (harness.ts BenchDef.warmup) */
const WARMUP = 20_000;

export const ffiCost: Scenario = {
  name: "ffi_cost",
  description: "cost of one FFI call in this runtime, and of a malloc/free pair with and without FFI",
  crossRuntime: true,
  params: () => ({ size: 16 }),
  async run(ctx) {
    const n = await ctx.native();
    const { createRef } = await refModule(ctx.root);
    const ref = createRef({ profile: "cpython" });
    const bare = await bareBinding(n.libPath);
    try {
      const stats = await runGroup(`FFI cost [${ctx.runtime}]`, [
        { name: "bare FFI: allocspec_abi_version()", fn: () => do_not_optimize(bare.abi()), warmup: WARMUP },
        { name: "bare FFI: RawFree(RawMalloc(16))", fn: () => bare.pair(), warmup: WARMUP },
        {
          name: "loader: PyMem_RawFree(PyMem_RawMalloc(16))",
          fn: () => n.PyMem_RawFree(n.PyMem_RawMalloc(16)),
          warmup: WARMUP,
        },
        {
          name: "ref: PyMem_RawFree(PyMem_RawMalloc(16))",
          fn: () => ref.PyMem_RawFree(ref.PyMem_RawMalloc(16)),
          warmup: WARMUP,
        },
      ], ctx);
      const [call, pair, loader, refPair] = stats;
      const rt = ctx.runtime;
      return {
        rows: stats.map((s) => ({
          name: s.name,
          unit: "ns/call",
          median: round(s.p50),
          min: round(s.min),
          max: round(s.max),
          n: s.samples,
        })),
        figures: {
          [`ffi_call_ns_${rt}`]: round(call.p50),
          [`ffi_malloc_free_pair_ns_${rt}`]: round(pair.p50),
          [`loader_malloc_free_pair_ns_${rt}`]: round(loader.p50),
          [`ref_malloc_free_pair_ns_${rt}`]: round(refPair.p50),
        },
        notes: [],
      };
    } finally {
      bare.close();
      ref.close();
    }
  },
};

/* SAMPLE OUTPUT (`npx bun bench`, 2026-11-24, 2-core AMD EPYC VM shared with other jobs, load average 0.52 -> 2.49):

=== ffi_cost [bun] — cost of one FFI call in this runtime, and of a malloc/free pair with and without FFI
    params: {"size":16}
clk: ~2.17 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                                 avg (min … max) p75 / p99    (min … top 1%)
--------------------------------------------------------- -------------------------------
• FFI cost [bun]
--------------------------------------------------------- -------------------------------
bare FFI: allocspec_abi_version()            2.28 ns/iter   2.08 ns █
                                     (2.03 ns … 42.82 ns)  10.66 ns █
                                  (  0.00  b …  32.00  b)   0.03  b █▂▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁▁

bare FFI: RawFree(RawMalloc(16))            15.10 ns/iter  14.20 ns █
                                    (13.81 ns … 88.73 ns)  27.58 ns █▃
                                  (  0.00  b …  32.00  b)   0.05  b ██▁▁▁▁▁▁▁▁▁▁▁▂▂▁▁▁▁▁▁

loader: PyMem_RawFree(PyMem_RawMalloc(16))  26.04 ns/iter  27.08 ns        █
                                   (16.95 ns … 100.91 ns)  44.23 ns ▆      █
                                  (  0.00  b …  32.00  b)   0.31  b █▁▁▁▁▁▆█▃▁▂▃▃▄▂▁▁▁▁▁▁

ref: PyMem_RawFree(PyMem_RawMalloc(16))     44.09 ns/iter  45.42 ns  █
                                   (40.97 ns … 100.95 ns)  58.75 ns  █
                                  (  0.00  b …  32.00  b)   0.04  b ██▁▁▁▂▁▁▁▁▄▅▂▁▁▁▁▁▁▁▁


=== ffi_cost [deno] — cost of one FFI call in this runtime, and of a malloc/free pair with and without FFI
    params: {"size":16}
clk: ~2.83 GHz
cpu: AMD EPYC
runtime: deno 2.9.6 (x86_64-unknown-linux-gnu)

benchmark                                 avg (min … max) p75 / p99    (min … top 1%)
--------------------------------------------------------- -------------------------------
• FFI cost [deno]
--------------------------------------------------------- -------------------------------
bare FFI: allocspec_abi_version()            4.17 ns/iter   3.73 ns  █
                                    (3.31 ns … 245.76 ns)  13.31 ns  █
                                  (  0.00  b …  52.22  b)   0.02  b ▆█▁▁▁▁▁▁▁▁▁▁▁▂▁▁▁▁▁▁▁

bare FFI: RawFree(RawMalloc(16))            13.37 ns/iter  11.96 ns  █
                                     (10.22 ns … 1.14 µs)  31.03 ns ▅█
                                  ( 32.00  b …  32.15  b)  32.00  b ██▃▃▁▁▂▂▁▂▂▁▂▁▁▁▁▁▁▁▁

loader: PyMem_RawFree(PyMem_RawMalloc(16))  56.24 ns/iter  57.15 ns █
                                     (47.06 ns … 1.04 µs) 121.83 ns █
                                  ( 19.08  b … 128.12  b)  80.16  b █▂▄█▃▂▂▁▁▁▁▁▁▁▁▁▁▁▁▁▁

ref: PyMem_RawFree(PyMem_RawMalloc(16))     56.91 ns/iter  59.60 ns █
                                   (47.34 ns … 874.22 ns) 106.64 ns █
                                  (  0.09  b …  68.24  b)   0.29  b █▂▄▆▆▃▃▂▂▂▁▁▁▁▁▁▁▁▁▁▁
*/
