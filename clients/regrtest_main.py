"""Runs CPython's regrtest (`python -m test ARGS`) in this interpreter, then writes its resource usage.

Started by clients/regrtest.ts through the launcher (so this process and regrtest's -j workers run on the
allocator under test). ALLOCSPEC_CLIENT_RUSAGE names the JSON file to write; it is removed from the
environment first so the workers do not inherit it. ru_maxrss of RUSAGE_CHILDREN is the largest peak
of any waited-for worker (getrusage(2)); CPU times are summed.
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
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(out, "w") as f:
            json.dump({
                "maxrss_self_kb": me.ru_maxrss,
                "maxrss_children_kb": ch.ru_maxrss,
                "cpu_s": me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime,
            }, f)
