"""A recursive algorithm (pybench: Recursion, plus allocation): memo-free tree building and
merge sort, which allocates a new list at every level."""


def merge_sort(xs):
    if len(xs) <= 1:
        return xs
    mid = len(xs) // 2
    a, b = merge_sort(xs[:mid]), merge_sort(xs[mid:])
    out = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out


def tree(depth):
    if depth == 0:
        return None
    return (tree(depth - 1), depth, tree(depth - 1))


def count(t):
    return 0 if t is None else 1 + count(t[0]) + count(t[2])


def run(scale):
    total = 0
    for r in range(3 * scale):
        xs = [(i * 7919 + r) % 10007 for i in range(3000)]
        s = merge_sort(xs)
        assert s == sorted(xs)
        total += s[0] + s[-1] + count(tree(11))
    return total
