/**
 * Child process for debug_hooks_abort_test.ts: runs one misuse in a world whose violation mode is
 * "abort", so the process must print CPython's diagnostic to stderr and die with SIGABRT.
 *
 * Usage: `deno run -A ref/debug_hooks_abort_fixture.ts <case>` or `bun ref/debug_hooks_abort_fixture.ts <case>`,
 * case = overflow | misuse | nogil | free-null-nogil | overflow-2013 | mode-switch.
 *
 * @module
 */
import process from "node:process";
import { createRef } from "./ref.ts";

const which = process.argv.at(-1);
const py = createRef({ profile: which === "overflow-2013" ? "pep445-2013" : "cpython", violation: "abort" });
py.PyMem_SetupDebugHooks();
switch (which) {
  case "overflow":
  case "overflow-2013": {
    const p = py.PyMem_Malloc(16); // _testcapi.pymem_buffer_overflow()
    py.heap.u8[p + 16] = 0x78;
    py.PyMem_Free(p);
    break;
  }
  case "misuse": // _testcapi.pymem_api_misuse()
    py.PyMem_RawFree(py.PyMem_Malloc(16));
    break;
  case "nogil": // _testcapi.pyobject_malloc_without_gil()
    py.setGilHeld(false);
    py.PyObject_Free(py.PyObject_Malloc(10));
    break;
  case "free-null-nogil":
    py.setGilHeld(false);
    py.PyMem_Free(0);
    break;
  case "mode-switch": { // throw mode first (caught), then abort mode
    py.setViolationMode("throw");
    const p = py.PyObject_Malloc(8);
    try {
      py.PyMem_Free(p);
    } catch (e) {
      process.stdout.write(`caught ${(e as Error).name}\n`);
    }
    py.setViolationMode("abort");
    py.PyMem_Free(p);
    break;
  }
  default:
    process.stderr.write(`debug_hooks_abort_fixture: unknown case ${which}\n`);
    process.exit(2);
}
process.stdout.write("survived\n");
