"""The PEP's own kind of workload: a pybench-style mix (Tools/pybench in CPython 2.x/3.x up to 3.6, which
the PEP 445 author ran: "+0.1%" slower globally). pybench times many small tests of the interpreter's
everyday work, most of which allocate little: arithmetic, comparisons, loops, calls, attribute and
name lookups, exceptions, and some that build strings, lists, dicts, tuples and instances. Each test
below mirrors one pybench group; the driver weighs them equally (the mean of the per-test paired ratios),
as pybench's calibrated tests weigh about equally in its total.

Each test is run(scale) -> a checksum (so nothing is optimised away); scale 1 takes a few ms.
"""


def arithmetic(scale):
    """pybench Arithmetic: SimpleIntegerArithmetic, SimpleFloatArithmetic, SimpleIntFloatArithmetic."""
    a, b, c = 2, 3, 0
    x, y, z = 2.1, 3.3, 0.0
    for i in range(12000 * scale):
        c = a + b
        c = b + c
        c = c - a
        c = b * c
        c = c // 3
        z = x + y
        z = z * x
        z = z - y
        z = z / 1.5
        z = z + c
    return c + int(z)


def comparisons(scale):
    """pybench Numbers: CompareIntegers, CompareFloats, CompareFloatsIntegers."""
    n = 0
    for i in range(15000 * scale):
        if 2 < 3:
            n += 1
        if 2.5 > 3.5:
            n -= 1
        if i == 7 or i < 2:
            n += 1
        if 2.0 >= i:
            n += 1
        if i != 5:
            n += 1
    return n


def constructs(scale):
    """pybench Constructs: IfThenElse, NestedForLoops, ForLoops."""
    n = 0
    r = range(10)
    for i in range(700 * scale):
        for j in r:
            for k in r:
                if k == 3:
                    n += 1
                elif k == 5:
                    n -= 1
                else:
                    n += 2
    return n


def _f0():
    return 1


def _f1(a):
    return a


def _f3(a, b, c=3):
    return a + b + c


class _C:
    def m(self, a):
        return a

    def m3(self, a, b, c):
        return a + b + c


def calls(scale):
    """pybench Calls: PythonFunctionCalls, PythonMethodCalls, BuiltinFunctionCalls."""
    o = _C()
    n = 0
    for i in range(9000 * scale):
        n += _f0()
        n += _f1(i)
        n += _f3(1, 2)
        n += o.m(1)
        n += o.m3(1, 2, 3)
        n += len("abc")
        n += abs(-1)
    return n


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def recursion(scale):
    """pybench Calls: Recursion."""
    return sum(_fib(21) for _ in range(scale))


class _K:
    cattr = 1

    def __init__(self):
        self.iattr = 2


def lookups(scale):
    """pybench Lookups: NormalClassAttribute, NormalInstanceAttribute, SpecialClassAttribute,
    BuiltinMethodLookup."""
    o = _K()
    n = 0
    lst = []
    d = {}
    for i in range(12000 * scale):
        n += _K.cattr
        n += o.iattr
        n += o.cattr
        n += o.iattr + _K.cattr
        lst.append
        d.get
        n += o.__class__ is _K
    return n


def exceptions(scale):
    """pybench Exceptions: TryExcept (no raise) and TryRaiseExcept."""
    n = 0
    for i in range(8000 * scale):
        try:
            n += 1
        except ValueError:
            n -= 1
        try:
            raise ValueError
        except ValueError:
            n += 1
    return n


class _P:
    def __init__(self, a, b):
        self.a = a
        self.b = b


def instances(scale):
    """pybench Instances: CreateInstances."""
    n = 0
    for i in range(6000 * scale):
        p = _P(i, 2)
        q = _P(p.a, 3)
        n += q.b
    return n


def strings(scale):
    """pybench Strings: CompareStrings, CompareInternedStrings, StringSlicing, ConcatStrings,
    StringPredicates."""
    s = "the quick brown fox jumps over the lazy dog"
    t = "the quick brown fox jumps over the lazy cat"
    n = 0
    for i in range(5000 * scale):
        if s < t:
            n += 1
        if s == "the quick brown fox jumps over the lazy dog":
            n += 1
        n += len(s[4:15])
        u = s[:3] + t[-3:]
        n += len(u)
        if s.startswith("the") and u.isalpha():
            n += 1
    return n


def lists(scale):
    """pybench Lists: SimpleListManipulation, ListSlicing, SmallLists."""
    n = 0
    for i in range(9000 * scale):
        lst = [1, 2, 3, 4, 5]
        lst.append(i)
        lst[2] = 7
        n += lst[-1] + len(lst[1:4])
        lst.pop()
    return n


def dicts(scale):
    """pybench Dict: DictCreation, DictWithStringKeys, DictWithIntegerKeys, SimpleDictManipulation."""
    n = 0
    d = {"a": 1, "b": 2, "c": 3}
    for i in range(5000 * scale):
        n += d["a"] + d["b"]
        d["c"] = i
        n += d.get("c", 0) & 1
        if "a" in d:
            n += 1
        e = {1: 2, 3: 4}
        n += e[3]
    return n


def tuples(scale):
    """pybench Tuples: SmallTuples, TupleSlicing."""
    n = 0
    t = (1, 2, 3, 4, 5, 6)
    for i in range(12000 * scale):
        a, b, c = 1, 2, 3
        u = (a, b, c)
        n += u[1] + len(t[1:3])
    return n


TESTS = {
    "arithmetic": arithmetic,
    "comparisons": comparisons,
    "constructs": constructs,
    "calls": calls,
    "recursion": recursion,
    "lookups": lookups,
    "exceptions": exceptions,
    "instances": instances,
    "strings": strings,
    "lists": lists,
    "dicts": dicts,
    "tuples": tuples,
}
