"""String building and formatting (pybench: ConcatStrings, StringFormatting, StringSlicing)."""


def run(scale):
    total = 0
    for r in range(6 * scale):
        parts = []
        for i in range(800):
            parts.append("item-%05d:%s" % (i, "x" * (i % 17)))
        s = ",".join(parts)
        total += len(s)
        acc = ""
        for i in range(400):
            acc += str(i)
        total += len(acc)
        fs = [f"{i:>8}|{i * 1.5:.3f}|{hex(i)}" for i in range(500)]
        total += sum(len(x) for x in fs)
        words = s.split(",")
        total += len(" ".join(w.upper() for w in words[:300]))
        total += len(s.replace("x", "yz")[:1000])
    return total
