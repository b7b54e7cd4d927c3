/**
 * Scalene's PEP 445 hook as a `hook:` target: where its library is, and what the suite finds in it.
 *
 * Debian's `python3-scalene` (1.5.16) ships `scalene/libscalene.cpython-311-x86_64-linux-gnu.so`; loaded
 * into a process where libpython has global scope, its constructor wraps the MEM and OBJ allocators
 * (`dlsym(RTLD_DEFAULT, "PyMem_GetAllocator")`). {@link findScalene} asks every python3 on PATH
 * (`import scalene`, core/optional.ts), never a fixed path.
 *
 * @example
 * ```ts
 * import { findScalene } from "./hook_scalene.ts";
 * const lib = findScalene(); // undefined when Scalene is not installed
 * if (lib) console.log(`--target hook:${lib}@cpython`);
 * ```
 * @module
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { locate } from "../../core/optional.ts";

/** The path of libscalene*.so, or undefined when Scalene is not installed (core/optional.ts finds it). */
export function findScalene(): string | undefined {
  return locate("python3-scalene");
}

/**
 * Runs `fn` and removes the `/tmp/scalene-*<pid>` files (init, lock, and a 256 MB sparse signal file) that
 * Scalene's constructor leaves in every process it is loaded into, for the processes `fn` started.
 */
export async function withScaleneTmpCleanup<T>(fn: () => T | Promise<T>): Promise<T> {
  const marker = /^scalene-[a-z-]+\d+$/;
  const list = () => readdirSync("/tmp").filter((f) => marker.test(f));
  const before = new Set(list());
  try {
    return await fn();
  } finally {
    for (const f of list()) if (!before.has(f)) rmSync(join("/tmp", f), { force: true });
  }
}

/**
 * What the suite finds in Scalene 1.5.16 over CPython 3.11 (hook cases, profile cpython): case id ->
 * [status, why], normative cases only. Measured with `--target hook:<libscalene>@cpython`; hook_test.ts
 * asserts it. Beyond the API (informational, sizes above PY_SSIZE_T_MAX: conformance/README.md, one size
 * rule) it also crashes on its own malloc/realloc near SIZE_MAX and its calloc(2^63, 2) returns a block
 * (the product wraps: malloc(24) below): {@link SCALENE_INFORMATIONAL}.
 */
export const SCALENE_FINDINGS: Readonly<Record<string, readonly ["FAIL" | "ERROR", string]>> = {
  "hook_failure/malloc_null_from_below_gives_null": ["ERROR", "NULL from below is not checked: SIGSEGV"],
  "hook_failure/calloc_null_from_below_gives_null": ["ERROR", "NULL from below is not checked: SIGSEGV"],
  "hook_failure/realloc_null_from_below_gives_null": ["ERROR", "NULL from below is not checked: SIGSEGV"],
  "hook_failure/failed_realloc_keeps_old_block_intact": ["ERROR", "NULL from below is not checked: SIGSEGV"],
  "hook_failure/failed_realloc_does_not_free_below": ["ERROR", "NULL from below is not checked: SIGSEGV"],
  "hook_size/own_requests_keep_size_up_to_ssize_max": [
    "ERROR",
    "NULL from below is not checked (a PY_SSIZE_T_MAX request the allocator below refuses): SIGSEGV",
  ],
  "hook_forward/blocks_from_before_install_pass_through": [
    "ERROR",
    "its free takes every block for one with its header: a block allocated before it was installed: SIGSEGV",
  ],
};

/** Scalene's informational findings (sizes above PY_SSIZE_T_MAX reach it only when called directly). */
export const SCALENE_INFORMATIONAL: Readonly<Record<string, readonly ["FAIL" | "ERROR", string]>> = {
  "hook_size/own_malloc_near_size_max_gives_null": ["ERROR", "size + header is not checked: SIGSEGV"],
  "hook_size/own_realloc_near_size_max_gives_null": ["ERROR", "size + header is not checked: SIGSEGV"],
  "hook_size/own_calloc_overflow_gives_null": [
    "FAIL",
    "nelem * elsize wraps: calloc(2^63, 2) becomes malloc(24) below and returns a block",
  ],
};
