"""CPython's own way, no allocspec: `_testcapi.set_nomemory(N, N + 1)` in a fresh interpreter.

usage: python3 -X faulthandler fstring.py N

CPython 3.11's f-string parser (Parser/string_parser.c, `fstring_compile_expr`) does not check the result of
`_PyPegen_Parser_New` for the expression inside the braces and writes through it: when that parser cannot be
allocated the process dies by SIGSEGV. On CPython 3.11.7 (pyenv, x86-64) N = 41 is the `PyMem_Malloc` of
`_PyPegen_Parser_New` (pegen.c:808; checked with gdb), and N = 41-44 and 64-67 all crash.
"""
import sys

import _testcapi

n = int(sys.argv[1])
src = 'i = 3\ns = f"user{i}@host{i + 1}.com"\n'
_testcapi.set_nomemory(n, n + 1)
try:
    compile(src, "<x>", "exec")
except MemoryError:
    pass
finally:
    _testcapi.remove_mem_hooks()
print(n, "survived")
