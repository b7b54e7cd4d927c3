"""Runs CPython's regrtest (`python -m test ARGS`) in this interpreter, then writes its resource usage.

Started by clients/regrtest.ts through the launcher (so this process and regrtest's -j workers run on the
allocator under test). ALLOCSPEC_CLIENT_RUSAGE names the JSON file to write; it is removed from the
environment first so the workers do not inherit it. Peak RSS: this process's VmHWM (/proc/self/status;
ru_maxrss of RUSAGE_SELF would count the JS runtime's image before execve) and ru_maxrss of RUSAGE_CHILDREN,
the largest peak of any waited-for worker (getrusage(2)); CPU times are summed.
"""
import json
import os
import resource
import runpy
import sys

out = os.environ.pop("ALLOCSPEC_CLIENT_RUSAGE", "")
sys.argv = ["-m test"] + sys.argv[1:]
try:
    runpy.run_module("test", run_name="__main__", alter_sys=True)
finally:
    if out:
        me = resource.getrusage(resource.RUSAGE_SELF)
        hwm = me.ru_maxrss
        try:
            with open("/proc/self/status") as f:
                hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
        except (OSError, StopIteration):
            pass
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out, "w") as f:
            json.dump({
                "maxrss_self_kb": hwm,
                "maxrss_children_kb": ch.ru_maxrss,
                "cpu_s": me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime,
            }, f)
