/**
 * The calling thread's C `errno`, read and written through libc's `__errno_location()` and a view of
 * that int. For targets whose allocators are native code in this process (native, cpython, vtable:,
 * libc:). Between the allocator call and the read the runtime may itself call libc on this thread, so
 * what a case sees is informational, as errno checks are anyway (POSIX, not PEP 445).
 *
 * @example
 * ```ts
 * import { cErrno } from "./errno.ts";
 * const e = cErrno();
 * e.set(0);
 * e.get(); // 0
 * ```
 * @module
 */
import { ffi } from "../native/mod.ts";
import type { CErrno } from "./adapter.ts";

let cached: CErrno | undefined;

/** The errno accessor of this thread (libc.so.6's `__errno_location`). */
export function cErrno(): CErrno {
  if (cached) return cached;
  const lib = ffi.open("libc.so.6", { __errno_location: { params: [], result: "ptr" } });
  const loc = lib.symbols.__errno_location;
  if (!loc) throw new Error("libc.so.6 does not export __errno_location: errno cannot be observed here");
  const addr = Number(loc());
  const view = () => new Int32Array(ffi.view(addr, 4));
  cached = { get: () => view()[0], set: (v: number) => void (view()[0] = v) };
  return cached;
}
