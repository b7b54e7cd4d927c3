"""allocspec bench driver: runs the pybench-style workloads of this folder inside the machine's real
CPython, with hooks from liballocspec.so installed through libpython's own PyMem_GetAllocator /
PyMem_SetAllocator (PEP 445 use case 3, "hooks on all domains", done in C).

Why python3 + ctypes and not CPython embedded in Deno/Bun: the interpreter then is exactly the
machine's `python3` (its binary links libpython3.11.so), its stdlib and extension modules load
normally (extension modules resolve their Py* symbols from the global namespace, which an
RTLD_LOCAL dlopen from a JS runtime would not provide), and the timing is free of FFI. The hook is
installed after initialisation, so it wraps the allocators in place (the documented rule: after
Py_Initialize a new allocator must wrap the existing one); blocks allocated earlier are freed
through the hook into the allocator that made them.

Modes (all print one JSON object on stdout):
  trace    --lib L --out F [--scale N] [--max-ops N]     trace every workload into one A445TRC1 file
  overhead --lib L [--scale N] [--rounds N] [--depth N] [--bare B] [--set alloc|pybench]
                                                         time each workload without a hook, with the
                                                         pass-through hook and (--bare) with the bare
                                                         forwarder B (hook_bare.so: forwards only, the
                                                         floor of any hook); the order rotates per round
  time     [--scale N] [--rounds N]                      time each workload (e.g. under PYTHONMALLOC=debug)
Times are the thread's CPU time in ns (time.thread_time_ns), see timed().
"""
import argparse
import ctypes
import gc
import importlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# allocation-heavy workloads (most of their time is spent allocating and freeing)
WORKLOADS = ["objects", "containers", "strings", "json_roundtrip", "regex", "recursion"]
# the PEP's kind of workload: pybench's test groups (pybench_mix.py), most of which allocate little
PYBENCH = ["pybench:" + t for t in ("arithmetic", "comparisons", "constructs", "calls", "recursion", "lookups",
                                     "exceptions", "instances", "strings", "lists", "dicts", "tuples")]
SETS = {"alloc": WORKLOADS, "pybench": PYBENCH}


class _Test:
    def __init__(self, fn):
        self.run = fn


def load_workloads(names):
    sys.path.insert(0, HERE)
    out = []
    for n in names:
        if n.startswith("pybench:"):
            out.append((n, _Test(importlib.import_module("pybench_mix").TESTS[n.split(":", 1)[1]])))
        else:
            out.append((n, importlib.import_module(n)))
    return out


def api_addresses():
    get = ctypes.cast(ctypes.pythonapi.PyMem_GetAllocator, ctypes.c_void_p).value
    set_ = ctypes.cast(ctypes.pythonapi.PyMem_SetAllocator, ctypes.c_void_p).value
    return ctypes.c_void_p(get), ctypes.c_void_p(set_)


SIGNATURES = {
    "trace": {
        "allocspec_trace_install": ([ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64], ctypes.c_int),
        "allocspec_trace_uninstall": ([], ctypes.c_uint64),
        "allocspec_trace_write": ([ctypes.c_char_p], ctypes.c_int),
    },
    "overhead": {
        "allocspec_passthrough_install": ([ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int], ctypes.c_int),
        "allocspec_passthrough_uninstall": ([], ctypes.c_int),
        "allocspec_passthrough_calls": ([], ctypes.c_uint64),
    },
}


def open_lib(path, mode):
    # PyDLL: calls keep the GIL, so SetAllocator never races with the interpreter.
    try:
        lib = ctypes.PyDLL(path)
    except OSError as e:
        raise SystemExit("driver: cannot load %s: %s" % (path, e))
    for name, (args, res) in SIGNATURES[mode].items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise SystemExit("driver: %s does not export %s; rebuild native/ (deno task build:native)" % (path, name))
        fn.argtypes = args
        fn.restype = res
    return lib


def timed(fn, scale):
    """CPU time of this thread (thread_time_ns) for one run: on a machine shared with other jobs the
    wall clock also counts the time spent waiting for a core, which swamps a 1% effect."""
    gc.collect()
    t0 = time.thread_time_ns()
    result = fn(scale)
    return time.thread_time_ns() - t0, result


def mode_trace(args, wl):
    lib = open_lib(args.lib, "trace")
    get, set_ = api_addresses()
    checks = {}
    for name, mod in wl:  # warm up: imports, regex cache, type caches stay out of the trace
        mod.run(1)
    gc.collect()
    if lib.allocspec_trace_install(get, set_, args.max_ops) != 0:
        raise SystemExit("driver: allocspec_trace_install failed")
    t0 = time.perf_counter_ns()
    for name, mod in wl:
        checks[name] = mod.run(args.scale)
    ns = time.perf_counter_ns() - t0
    ops = lib.allocspec_trace_uninstall()
    if lib.allocspec_trace_write(args.out.encode()) != 0:
        raise SystemExit("driver: allocspec_trace_write failed for " + args.out)
    return {"mode": "trace", "ops": ops, "ns": ns, "checksums": checks, "out": args.out}


def open_bare(path):
    """The bare forwarder (conformance/fixtures/c/hooks/hook_bare.c): pep445_hook_install wraps all three
    domains with hooks that only forward; pep445_hook_uninstall puts the wrapped allocators back."""
    try:
        lib = ctypes.PyDLL(path)
        for name in ("pep445_hook_install", "pep445_hook_uninstall"):
            getattr(lib, name).argtypes = []
            getattr(lib, name).restype = ctypes.c_int
    except (OSError, AttributeError) as e:
        raise SystemExit("driver: cannot use the bare forwarder %s: %s" % (path, e))
    return lib


def mode_overhead(args, wl):
    lib = open_lib(args.lib, "overhead")
    bare = open_bare(args.bare) if args.bare else None
    get, set_ = api_addresses()
    kinds = ["base", "hook"] + (["bare"] if bare else [])
    out = {name: {k: [] for k in kinds} for name, _ in wl}
    calls = 0
    for name, mod in wl:
        mod.run(1)
    for r in range(args.rounds):
        for name, mod in wl:
            k = r % len(kinds)
            for kind in kinds[k:] + kinds[:k]:  # the order rotates: no variant always runs first
                if kind == "hook" and lib.allocspec_passthrough_install(get, set_, args.depth) != 0:
                    raise SystemExit("driver: allocspec_passthrough_install failed")
                if kind == "bare" and bare.pep445_hook_install() != 0:
                    raise SystemExit("driver: the bare forwarder's pep445_hook_install failed")
                ns, _ = timed(mod.run, args.scale)
                if kind == "hook":
                    calls += lib.allocspec_passthrough_calls()
                    lib.allocspec_passthrough_uninstall()
                if kind == "bare":
                    bare.pep445_hook_uninstall()
                out[name][kind].append(ns)
    return {"mode": "overhead", "depth": args.depth, "hook_calls": calls, "workloads": out}


def mode_time(args, wl):
    out = {name: [] for name, _ in wl}
    for name, mod in wl:
        mod.run(1)
    for r in range(args.rounds):
        for name, mod in wl:
            ns, _ = timed(mod.run, args.scale)
            out[name].append(ns)
    return {"mode": "time", "pythonmalloc": os.environ.get("PYTHONMALLOC", ""), "workloads": out}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["trace", "overhead", "time", "list"])
    p.add_argument("--lib")
    p.add_argument("--out")
    p.add_argument("--scale", type=int, default=1)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--max-ops", type=int, default=50_000_000)
    p.add_argument("--only", default="", help="comma-separated workload names")
    p.add_argument("--set", default="alloc", choices=sorted(SETS), help="the workload set (default alloc)")
    p.add_argument("--bare", help="overhead: also time the bare forwarder (a hook_bare.so)")
    args = p.parse_args()
    names = [n for n in args.only.split(",") if n] or SETS[args.set]
    known = WORKLOADS + PYBENCH
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit("driver: unknown workload(s) %s; known: %s" % (unknown, ", ".join(known)))
    if args.mode == "list":
        print(json.dumps({"workloads": WORKLOADS, "python": sys.version.split()[0]}))
        return
    if args.mode in ("trace", "overhead") and not args.lib:
        raise SystemExit("driver: --lib path/to/liballocspec.so is required for mode " + args.mode)
    if args.mode == "trace" and not args.out:
        raise SystemExit("driver: --out FILE is required for mode trace")
    wl = load_workloads(names)
    res = {"trace": mode_trace, "overhead": mode_overhead, "time": mode_time}[args.mode](args, wl)
    res["python"] = sys.version.split()[0]
    res["executable"] = sys.executable
    print(json.dumps(res))


if __name__ == "__main__":
    main()
