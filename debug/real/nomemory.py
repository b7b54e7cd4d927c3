"""CPython's own way to fail one allocation, no allocspec: `_testcapi.set_nomemory(N, N + 1)` in a fresh
interpreter, around one operation. Checks the CPython 3.11.7 bugs the fault sweep found (debug/README.md,
"Campaign") independently of the tool.

usage: python3 -X faulthandler nomemory.py take_ownership|assemble_init|fstring N

take_ownership  the lost exception of `take_ownership` (Python/frame.c, gh-131173): `Z.__init__` raises; its
                frame object is kept by the traceback, so clearing the frame makes the caller's frame object;
                when that allocation fails, take_ownership clears the MemoryError and with it the exception in
                flight. On 3.11.7 (pyenv, x86-64) N = 5 prints `SystemError: ... returned NULL without setting an
                exception` (gdb: `_PyFrame_New_NoTrack < ... < take_ownership < _PyFrame_Clear`).
assemble_init   the double free of `assemble_init` (Python/compile.c, gh-151112): a failed
                `PyBytes_FromStringAndSize` there leaves pymalloc's free list corrupted; the allocations after
                compile() crash. On 3.11.7 N = 165 and 166 (compile.c:7246 and :7250) die by SIGSEGV (gdb).
fstring         3.11's f-string parser does not check `_PyPegen_Parser_New` in `fstring_compile_expr`
                (Parser/string_parser.c); on 3.11.7 N = 41 (pegen.c:808) dies by SIGSEGV there.
"""
import gc
import sys

import _testcapi


class Z:
    def __init__(self):
        raise ValueError("from __init__")


def take_ownership():
    return Z()


def assemble_init():
    compile("f = lambda x: x + 1\nprint(f(2))\n", "<x>", "exec")


def fstring():
    compile('i = 3\ns = f"user{i}@host{i + 1}.com"\n', "<x>", "exec")


CASES = {"take_ownership": take_ownership, "assemble_init": assemble_init, "fstring": fstring}
if len(sys.argv) != 3 or sys.argv[1] not in CASES or not sys.argv[2].isdigit():
    sys.exit(f"usage: nomemory.py {'|'.join(CASES)} N")
case, n = CASES[sys.argv[1]], int(sys.argv[2])
_testcapi.set_nomemory(n, n + 1)
try:
    case()
    r = "no exception"
except BaseException as e:  # the point is which exception arrives
    r = f"{type(e).__name__}: {e}"
finally:
    _testcapi.remove_mem_hooks()
# allocate in every small size class: a corrupted free list crashes here
junk = [bytes(k) for k in range(1, 600) for _ in range(50)]
gc.collect()
print(n, r)
