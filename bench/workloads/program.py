"""Runs ONE workload as a whole program and prints its cost (bench/scenarios/programs.ts).

    program.py NAME SCALE

NAME is a module of this folder with run(scale) (the pybench-style workloads and the stdlib programs).
Started by the launcher on the allocator under test, one fresh process per sample, so the peak RSS is
this program's. Prints one JSON line: cpu_ns = process CPU time of run(scale) (all threads,
time.process_time_ns; the wall clock on a shared machine also counts waiting for a core), maxrss_kb =
peak resident set of this program (VmHWM of /proc/self/status: getrusage's ru_maxrss would also count
the image before execve, i.e. the JS runtime that started us), result = the workload's checksum.
"""
import importlib
import json
import os
import resource
import sys
import time



def vm_hwm_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
name, scale = sys.argv[1], int(sys.argv[2])
mod = importlib.import_module(name)
t0 = time.process_time_ns()
result = mod.run(scale)
cpu_ns = time.process_time_ns() - t0
print(json.dumps({
    "name": name,
    "cpu_ns": cpu_ns,
    "maxrss_kb": vm_hwm_kb(),
    "result": result,
}))
