"""CPython's own way, no allocspec: `_testcapi.set_nomemory(N, N + 1)` in a fresh interpreter.

usage: python3 take_ownership.py N   (prints N and the exception the call raised)

The lost exception of `take_ownership` (Python/frame.c, gh-131173): `Z.__init__` raises; its frame object is
kept by the traceback, so clearing the frame calls take_ownership, which makes the caller's frame object
(`_PyFrame_GetFrameObject`); when that allocation fails it clears the MemoryError and, with it, the exception
in flight: the call ends in `SystemError: ... returned NULL without setting an exception`. On CPython 3.11.7
(pyenv, x86-64) N = 5 is that allocation (checked with gdb: `_PyFrame_New_NoTrack < ... < take_ownership`).
"""
import sys

import _testcapi


class Z:
    def __init__(self):
        raise ValueError("from __init__")


def caller():
    return Z()


n = int(sys.argv[1])
_testcapi.set_nomemory(n, n + 1)
try:
    caller()
    r = "no exception"
except BaseException as e:  # noqa: BLE001 - the point is which exception arrives
    r = f"{type(e).__name__}: {e}"
finally:
    _testcapi.remove_mem_hooks()
print(n, r)
