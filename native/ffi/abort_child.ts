/**
 * Child process for death tests of the native loader (native_test.ts, mod_test.ts): provokes one debug-hook
 * violation in violation mode "abort", so the C default prints CPython's text and abort()s (SIGABRT).
 * Usage: `deno run -A native/ffi/abort_child.ts CASE` or `bun native/ffi/abort_child.ts CASE`,
 * CASE = overflow | underflow | bad_id | no_gil. Prints "about to ..." before the fatal call and
 * "survived" if the process was not aborted.
 *
 * @example
 * ```ts
 * import { runScript } from "../../core/child.ts";
 * const r = runScript("native/ffi/abort_child.ts", ["overflow"]);
 * // r.signal === "SIGABRT"
 * ```
 * @module
 */
import { openNative } from "./native.ts";

const which = process.argv[process.argv.length - 1];
const n = openNative({ profile: "cpython", violation: "abort" });
n.PyMem_SetupDebugHooks();
const p = n.PyMem_Malloc(16);
switch (which) {
  case "overflow":
    n.memory.write(p + 16, [0x78]);
    console.log("about to free");
    n.PyMem_Free(p);
    break;
  case "underflow":
    n.memory.write(p - 1, [0x78]);
    console.log("about to free");
    n.PyMem_Free(p);
    break;
  case "bad_id":
    console.log("about to free");
    n.PyObject_Free(p);
    break;
  case "no_gil":
    n.setGilHeld(false);
    console.log("about to malloc");
    n.PyMem_Malloc(10);
    break;
  default:
    console.error(`abort_child: unknown case '${which}': use overflow, underflow, bad_id or no_gil`);
    process.exit(2);
}
console.log("survived");
