/**
 * The FFI backend of the running runtime: Bun (`bun:ffi`, imported dynamically) when `globalThis.Bun`
 * exists, else Deno (`Deno.dlopen`). Resolved once, at module load (top-level await).
 *
 * @example
 * ```ts
 * import { ffi } from "./backend.ts";
 * const lib = ffi.open("libc.so.6", { getpid: { params: [], result: "i32" } });
 * console.log(lib.symbols.getpid!());
 * ```
 * @module
 */
import type { FfiBackend } from "./ffi_types.ts";

async function load(): Promise<FfiBackend> {
  if ((globalThis as any).Bun) return (await import("./bun_backend.ts")).createBunBackend();
  if ((globalThis as any).Deno?.dlopen) return (await import("./deno_backend.ts")).createDenoBackend();
  throw new Error("native FFI needs Deno (run with -A or --allow-ffi) or Bun; this runtime has neither");
}

/** The process-wide FFI backend. */
export const ffi: FfiBackend = await load();
