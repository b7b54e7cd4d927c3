"""difflib: SequenceMatcher and unified_diff over thousands of lines (dicts of lists, many small tuples)."""
import difflib


def run(scale):
    a = ["line %d: %s" % (i, "x" * (i % 40)) for i in range(3000)]
    b = [s if i % 17 else s + " changed" for i, s in enumerate(a)]
    total = 0
    for r in range(scale):
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        total += len(sm.get_opcodes())
        total += sum(1 for _ in difflib.unified_diff(a, b, lineterm=""))
    return total
