"""Object churn and class instances (pybench: Instances, CreateInstances, SpecialClassAttribute).

Creates and drops many small instances of plain classes, __slots__ classes and dataclass-like
classes, so almost every allocation is a small OBJ-domain block that dies young.
"""


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def moved(self, dx, dy):
        return Point(self.x + dx, self.y + dy)


class Slotted:
    __slots__ = ("a", "b", "c")

    def __init__(self, a, b, c):
        self.a, self.b, self.c = a, b, c


class Node:
    def __init__(self, value, nxt=None):
        self.value = value
        self.next = nxt
        self.meta = {"v": value}


def run(scale):
    total = 0
    for i in range(2000 * scale):
        p = Point(i, -i)
        for _ in range(5):
            p = p.moved(1, 2)
        s = Slotted(p.x, p.y, str(i))
        total += s.a - s.b + len(s.c)
    head = None
    for i in range(1500 * scale):
        head = Node(i, head)
    while head is not None:
        total += head.meta["v"]
        head = head.next
    return total
