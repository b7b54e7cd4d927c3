/**
 * CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID through libc's clock_gettime, one FFI call).
 *
 * Why: the benchmarks share a 2-core machine with other jobs. Wall-clock time then includes the time
 * the thread waited for a core, which varies by tens of percent from one replay to the next; the
 * thread's CPU time does not. Falls back to process.cpuUsage() (user + system, all threads, µs) when
 * the FFI is not available.
 *
 * @module
 */

const CLOCK_THREAD_CPUTIME_ID = 3;

function make(): () => number {
  const g = globalThis as any;
  const ts = new BigInt64Array(2);
  const fromTs = () => Number(ts[0]) * 1e9 + Number(ts[1]);
  try {
    if (g.Deno?.dlopen) {
      const lib = g.Deno.dlopen("libc.so.6", {
        clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
      });
      const u8 = new Uint8Array(ts.buffer);
      return () => (lib.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, u8), fromTs());
    }
  } catch { /* no FFI permission: fall back */ }
  const fallback = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) * 1000;
  };
  return fallback;
}

let clock: () => number = make();

if ((globalThis as any).Bun) {
  try {
    const spec = "bun:ffi";
    const { dlopen } = await import(spec);
    const lib = dlopen("libc.so.6", { clock_gettime: { args: ["i32", "ptr"], returns: "i32" } });
    const ts = new BigInt64Array(2);
    clock =
      () => (lib.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, ts), Number(ts[0]) * 1e9 + Number(ts[1]));
  } catch { /* keep the fallback */ }
}

/**
 * CPU time consumed by this thread, in ns.
 *
 * @example
 * ```ts
 * import { threadCpuNs } from "./cpu_clock.ts";
 * const c0 = threadCpuNs();
 * let x = 0;
 * for (let i = 0; i < 1e6; i++) x += i;
 * console.log(threadCpuNs() - c0, "ns of CPU");
 * ```
 */
export function threadCpuNs(): number {
  return clock();
}
