/**
 * The shared libpython the native tests load as a foreign PEP 445 target, found the way the cpython
 * conformance target finds it (`findLibpython`: python3's sysconfig), never a hard-coded path.
 *
 * On a machine without a shared libpython, {@link LIBPYTHON} is null and {@link NO_LIBPYTHON} is the reason,
 * for `test(name, { skip: NO_LIBPYTHON }, ...)`: such a test is a counted skip with its reason.
 *
 * @example
 * ```ts
 * import { test } from "node:test";
 * import { LIBPYTHON, NO_LIBPYTHON } from "./libpython_fixture.ts";
 * test("uses libpython", { skip: NO_LIBPYTHON }, () => {
 *   console.log(LIBPYTHON!);
 * });
 * ```
 * @module
 */
import { findLibpython } from "../../core/python.ts";

let found: string | null = null;
let reason: string | false = false;
try {
  found = findLibpython().path;
} catch (e) {
  reason = `no shared libpython: ${(e as Error).message}`;
}

/** Absolute path of python3's shared libpython, or null when there is none. */
export const LIBPYTHON: string | null = found;
/** false when {@link LIBPYTHON} was found, else why not (a `skip` option for node:test). */
export const NO_LIBPYTHON: string | false = reason;
