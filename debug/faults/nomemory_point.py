"""The one-subprocess-per-point baseline of the fault sweep benchmark: CPython's own tool.

usage: python3 nomemory_point.py N script.py [args...]
       python3 nomemory_point.py N -m module [args...]

Hooks RAW, MEM and OBJ with `_testcapi.set_nomemory(N, N + 1)` (only the call numbered N + 1 after this one
fails: one point, transient) and runs the script or module as __main__, in this fresh interpreter.
"""
import runpy
import sys

import _testcapi

n = int(sys.argv[1])
if sys.argv[2] == "-m":
    sys.argv = sys.argv[3:]
    _testcapi.set_nomemory(n, n + 1)
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = sys.argv[2:]
    _testcapi.set_nomemory(n, n + 1)
    runpy.run_path(sys.argv[0], run_name="__main__")
