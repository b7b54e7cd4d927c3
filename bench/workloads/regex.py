"""Regular expressions (pybench: CompareStrings, and re-heavy code): search, findall, sub."""
import re

WORD = re.compile(r"[a-z]+(\d+)")
KV = re.compile(r"(\w+)=(\w+)")


def run(scale):
    text = " ".join("word%d key%d=val%d" % (i, i, i * 3) for i in range(400))
    total = 0
    for r in range(5 * scale):
        total += len(WORD.findall(text))
        total += sum(len(m.group(2)) for m in KV.finditer(text))
        total += len(re.sub(r"\d+", lambda m: str(int(m.group()) + r), text))
        total += len(re.split(r"\s+", text))
    return total
