"""Reference for the leak tracker: runs a program under tracemalloc.start(1) and, at exit (an atexit callback
registered before the program runs, so it runs after the program's own), writes the snapshot's
statistics('lineno') as JSON lines {file, line, bytes, blocks} to $ALLOCSPEC_TRACEMALLOC_OUT.

usage: tracemalloc_top.py script.py [args...]
"""
import atexit
import json
import os
import runpy
import sys
import tracemalloc


def dump():
    stats = tracemalloc.take_snapshot().statistics("lineno")
    tracemalloc.stop()
    with open(os.environ["ALLOCSPEC_TRACEMALLOC_OUT"], "w") as out:
        for s in stats:
            frame = s.traceback[0]
            out.write(json.dumps({"file": frame.filename, "line": frame.lineno, "bytes": s.size, "blocks": s.count}) + "\n")


tracemalloc.start(1)
atexit.register(dump)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
