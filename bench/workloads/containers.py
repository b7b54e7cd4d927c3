"""List, dict, tuple and set building (pybench: SimpleListManipulation, DictCreation, TupleSlicing).

Lists grow by append (realloc in the MEM domain), dicts resize their key tables, tuples and
sets are built and sliced.
"""


def run(scale):
    total = 0
    for r in range(12 * scale):
        lst = []
        for i in range(1200):
            lst.append(i * r)
        d = {}
        for i in range(600):
            d["k%d" % i] = lst[i]
        t = tuple(lst[::3])
        st = set(t[:200])
        total += len(lst) + len(d) + len(t[5:50]) + len(st)
        nested = [[j, (j, j + 1), {"j": j}] for j in range(300)]
        total += sum(n[1][1] for n in nested)
        del lst[100:]
        d.clear()
    return total
