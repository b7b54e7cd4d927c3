"""CPython's own way, no allocspec: `_testcapi.set_nomemory(N, N + 1)` in a fresh interpreter.

usage: python3 -X faulthandler assemble_init.py N

The double free of `assemble_init` (Python/compile.c, gh-151112): when one of its `PyBytes_FromStringAndSize`
calls fails, it releases the bytes objects it made without clearing the pointers, and `assemble`'s error path
releases them again; pymalloc's free list is corrupted and a later allocation of that size class crashes (here
in the loop that allocates bytes of every small size). On CPython 3.11.7 (pyenv, x86-64) N = 164 and 165 fail
compile.c:7246 and :7250 (checked with gdb) and the process dies by SIGSEGV in `pymalloc_alloc`.
"""
import gc
import sys

import _testcapi

n = int(sys.argv[1])
src = "f = lambda x: x + 1\nprint(f(2))\n"
_testcapi.set_nomemory(n, n + 1)
try:
    compile(src, "<x>", "exec")
except MemoryError:
    pass
finally:
    _testcapi.remove_mem_hooks()
junk = [bytes(k) for k in range(1, 600) for _ in range(50)]
gc.collect()
print(n, "survived")
