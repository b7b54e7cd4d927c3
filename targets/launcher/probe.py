"""Which allocator is installed in this CPython? Prints one JSON line (used by the launcher's tests).

For each PEP 445 domain: the shared object holding the domain's malloc function (PyMem_GetAllocator +
dladdr), with --peel the object holding the malloc of the allocator under the debug hooks (CPython's
and liballocspec's hooks both keep {char api_id; PyMemAllocatorEx alloc} in ctx, obmalloc.c
debug_alloc_api_t), with --ctx the object of the first function pointer in that allocator's ctx (the
launcher's libc glue: the library's malloc). Also sys.executable and the PYTHONMALLOC this process saw.
"""
import ctypes
import json
import os
import sys


class PyMemAllocatorEx(ctypes.Structure):
    _fields_ = [("ctx", ctypes.c_void_p), ("malloc", ctypes.c_void_p), ("calloc", ctypes.c_void_p),
                ("realloc", ctypes.c_void_p), ("free", ctypes.c_void_p)]


class DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


libdl = ctypes.CDLL(None)
libdl.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]


def where(addr):
    info = DlInfo()
    if not addr or not libdl.dladdr(addr, ctypes.byref(info)):
        return None
    return os.path.basename(info.dli_fname.decode()) if info.dli_fname else None


def main():
    peel = "--peel" in sys.argv
    get = ctypes.pythonapi.PyMem_GetAllocator
    get.argtypes = [ctypes.c_int, ctypes.POINTER(PyMemAllocatorEx)]
    get.restype = None
    out = {"executable": sys.executable, "PYTHONMALLOC": os.environ.get("PYTHONMALLOC", "")}
    for d, name in enumerate(["raw", "mem", "obj"]):
        a = PyMemAllocatorEx()
        get(d, ctypes.byref(a))
        out[name] = where(a.malloc)
        if peel and a.ctx:
            inner = PyMemAllocatorEx.from_address(a.ctx + ctypes.sizeof(ctypes.c_void_p))
            out[name + "_under_hooks"] = where(inner.malloc)
            a = inner
        if "--ctx" in sys.argv and a.ctx:
            # the launcher's libc glue keeps {malloc, calloc, realloc, free} of the library in ctx
            out[name + "_ctx_fn"] = where(ctypes.c_void_p.from_address(a.ctx).value)
    print(json.dumps(out))


main()
