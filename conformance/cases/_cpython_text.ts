/**
 * CPython's own expected diagnostics (Lib/test/test_capi/test_mem.py, cpython-facts.md §5), as regular
 * expressions. `{ptr}` is test_mem.py's PTR_REGEX `(?:0x)?[0-9a-fA-F]+`.
 * @module
 */
const PTR = "(?:0x)?[0-9a-fA-F]+";

/** test_mem.py test_buffer_overflow (DOTALL). */
export const TEST_MEM_OVERFLOW = new RegExp(
  `Debug memory block at address p=${PTR}: API 'm'\\n` +
    `    16 bytes originally requested\\n` +
    `    The [0-9] pad bytes at p-[0-9] are FORBIDDENBYTE, as expected.\\n` +
    `    The [0-9] pad bytes at tail=${PTR} are not all FORBIDDENBYTE \\(0x[0-9a-f]{2}\\):\\n` +
    `        at tail\\+0: 0x78 \\*\\*\\* OUCH\\n` +
    `        at tail\\+1: 0xfd\\n` +
    `        at tail\\+2: 0xfd\\n` +
    `        .*\\n` +
    `(    The block was made by call #[0-9]+ to debug malloc/realloc.\\n)?` +
    `    Data at p: cd cd cd .*\\n` +
    `\\n` +
    `Enable tracemalloc to get the memory block allocation traceback\\n` +
    `\\n` +
    `Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte`,
  "s",
);

/** test_mem.py test_api_misuse (PyMem_Malloc, then PyMem_RawFree). */
export const TEST_MEM_API_MISUSE = new RegExp(
  `Debug memory block at address p=${PTR}: API 'm'\\n` +
    `    16 bytes originally requested\\n` +
    `    The [0-9] pad bytes at p-[0-9] are FORBIDDENBYTE, as expected.\\n` +
    `    The [0-9] pad bytes at tail=${PTR} are FORBIDDENBYTE, as expected.\\n` +
    `(    The block was made by call #[0-9]+ to debug malloc/realloc.\\n)?` +
    `    Data at p: cd cd cd .*\\n` +
    `\\n` +
    `Enable tracemalloc to get the memory block allocation traceback\\n` +
    `\\n` +
    `Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'r'\\n`,
  "s",
);

/** test_mem.py test_pymem_malloc_without_gil / test_pyobject_malloc_without_gil. */
export const TEST_MEM_NO_GIL =
  /Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL/;
