"""allocspec bench driver for the `hooks` scenario: ONE hook variant per process, installed once after
the interpreter started (hooks after init must wrap the allocators in place), then every workload timed
once (time.thread_time_ns, like driver.py). One process per variant because real hooks cannot be
removed safely: a header-prefixing hook (Scalene) owns every block it handed out, and a constructor
hook installs itself once per load.

  --variant none                 no hook
  --variant passthrough:LIB      liballocspec.so's C pass-through hook, depth 1, on all three domains
  --variant tracemalloc:N        tracemalloc.start(N)
  --variant hook:PATH            a hook library: loaded (its constructor runs), then pep445_hook_install()
                                 when it exports it (0 = success), as the conformance `hook:` target does
  --variant preload:PATH         nothing here: the caller started Python with LD_PRELOAD=PATH (Scalene's way:
                                 its hooks give every block a header, so they must be in place before init)

Prints one JSON object: {"variant", "hooked": [domains whose allocator changed here], "owners": {domain:
file of its malloc}, "workloads": {name: ns}}.
"""
import argparse
import ctypes
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import WORKLOADS, api_addresses, load_workloads, timed  # noqa: E402


class PyMemAllocatorEx(ctypes.Structure):
    _fields_ = [("ctx", ctypes.c_void_p), ("malloc", ctypes.c_void_p), ("calloc", ctypes.c_void_p),
                ("realloc", ctypes.c_void_p), ("free", ctypes.c_void_p)]


def current():
    get = ctypes.pythonapi.PyMem_GetAllocator
    get.argtypes = [ctypes.c_int, ctypes.POINTER(PyMemAllocatorEx)]
    out = []
    for d in range(3):
        a = PyMemAllocatorEx()
        get(d, ctypes.byref(a))
        out.append((a.ctx, a.malloc))
    return out


class DlInfo(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p), ("sname", ctypes.c_char_p),
                ("saddr", ctypes.c_void_p)]


def owners():
    """The file each domain's malloc lives in (dladdr): shows who hooked what, LD_PRELOAD included."""
    libc = ctypes.CDLL(None)
    libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    out = {}
    for name, (_, malloc) in zip(["RAW", "MEM", "OBJ"], current()):
        info = DlInfo()
        ok = libc.dladdr(ctypes.c_void_p(malloc), ctypes.byref(info))
        out[name] = os.path.basename(info.fname.decode()) if ok and info.fname else hex(malloc or 0)
    return out


def install(variant):
    kind, _, arg = variant.partition(":")
    if kind in ("none", "preload"):
        return
    if kind == "passthrough":
        lib = ctypes.PyDLL(arg)
        lib.allocspec_passthrough_install.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        get, set_ = api_addresses()
        if lib.allocspec_passthrough_install(get, set_, 1) != 0:
            raise SystemExit("hooks_driver: allocspec_passthrough_install failed")
        return
    if kind == "tracemalloc":
        import tracemalloc
        tracemalloc.start(int(arg))
        return
    if kind == "hook":
        try:
            lib = ctypes.PyDLL(arg, mode=os.RTLD_NOW)
        except OSError as e:
            raise SystemExit("hooks_driver: cannot load %s: %s" % (arg, e))
        fn = getattr(lib, "pep445_hook_install", None)
        if fn is not None:
            fn.restype = ctypes.c_int
            rc = fn()
            if rc != 0:
                raise SystemExit("hooks_driver: pep445_hook_install() of %s returned %d" % (arg, rc))
        return
    raise SystemExit("hooks_driver: unknown variant %r" % variant)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--variant", required=True)
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--only", default="")
    args = p.parse_args()
    wl = load_workloads([n for n in args.only.split(",") if n] or WORKLOADS)
    before = current()
    install(args.variant)
    after = current()
    hooked = [n for n, b, a in zip(["RAW", "MEM", "OBJ"], before, after) if a != b]
    if args.variant.startswith(("passthrough:", "tracemalloc:", "hook:")) and not hooked:
        raise SystemExit("hooks_driver: %s changed no domain's allocator" % args.variant)
    for _, mod in wl:  # warm-up through the hook: imports and caches stay out of the timing
        mod.run(1)
    out = {name: timed(mod.run, args.scale)[0] for name, mod in wl}
    print(json.dumps({"variant": args.variant, "hooked": hooked, "owners": owners(), "workloads": out}))


if __name__ == "__main__":
    main()
