"""The RAW domain from several threads at once, through CPython's own C code (clients/cli.ts runs it
after regrtest on every allocator, with the checking layer on).

CPython calls the RAW allocator without the GIL in a few places only (PEP 445: the RAW domain "must be
thread-safe" because of them): liblzma allocating through PyMem_RawMalloc inside lzma_code() while
_lzma has released the GIL, zlib's inflate window, a thread's exit freeing its state, and
PyGILState_Ensure() in a thread created in C (PyMem_RawCalloc of a thread state). CPython's regression
tests run those paths one thread at a time, so an allocator whose free lists are not locked passes
them; here they run in several threads at once while the main thread allocates with the GIL held, so
two calls really meet inside the allocator. Every result is checked (a run that loses data fails).

    python raw_threads.py [ROUNDS]
"""
import bz2
import lzma
import sys
import threading
import zlib

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 30
DATA = bytes(range(256)) * 300
errors = []
# MemoryError: the allocator refused a request (an allocator may cap a block's size; PEP 445 allows any
# allocation to fail): reported as refused, not as a crash; the other threads go on
refused = []
try:
    BLOBS = {"lzma": lzma.compress(DATA), "xz1": lzma.compress(DATA, preset=1), "zlib": zlib.compress(DATA),
             "bz2": bz2.compress(DATA)}
except MemoryError as e:
    print(f"raw_threads: refused: MemoryError while compressing the inputs ({e})")
    sys.exit(0)


def check(name, got):
    if got != DATA:
        errors.append(f"{name}: {len(got)} bytes came back, not the {len(DATA)} compressed")


def compression(seed):
    # lzma_code() allocates its decoder state and buffers through PyMem_RawMalloc without the GIL
    for i in range(ROUNDS):
        check("lzma", lzma.decompress(BLOBS["lzma"]))
        check("xz", lzma.decompress(BLOBS["xz1"]))
        check("lzma round trip", lzma.decompress(lzma.compress(DATA, preset=(seed + i) % 2)))
        check("zlib", zlib.decompress(BLOBS["zlib"]))
        if i % 8 == 0:
            check("bz2", bz2.decompress(BLOBS["bz2"]))


def churn():
    # a thread's exit frees its thread state through PyMem_RawFree after releasing the GIL
    for _ in range(ROUNDS * 2):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()


def c_threads():
    # PyGILState_Ensure() in threads made in C: PyMem_RawCalloc of a thread state without the GIL
    try:
        import _testcapi
    except ImportError:
        return
    for _ in range(ROUNDS):
        _testcapi._test_thread_state(lambda: None)


def python_objects():
    # the GIL holder's own traffic, meeting the others inside the allocator
    keep = []
    for i in range(ROUNDS * 300):
        keep.append({"i": i, "s": str(i) * (i % 7), "t": (i, i + 1)})
        if len(keep) > 500:
            del keep[:250]


def guarded(name, fn, *args):
    # an exception in a thread must fail the phase (threading only prints it); MemoryError is a refusal
    def run():
        try:
            fn(*args)
        except MemoryError as e:
            refused.append(f"{name}: MemoryError ({e})")
        except BaseException as e:
            errors.append(f"{name}: {type(e).__name__}: {e}")
    return run


threads = [threading.Thread(target=guarded(f"compression {k}", compression, k)) for k in range(4)]
threads += [threading.Thread(target=guarded(f"churn {k}", churn)) for k in range(2)]
threads.append(threading.Thread(target=guarded("c_threads", c_threads)))
for t in threads:
    t.start()
guarded("python_objects", python_objects)()
for t in threads:
    t.join()
if errors:
    sys.exit("raw_threads: " + "; ".join(errors[:5]))
if refused:
    print("raw_threads: refused: " + "; ".join(refused[:3]))
else:
    print("raw_threads: ok")
