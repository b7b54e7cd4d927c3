"""Small programs over stdlib areas that allocate through C, for real fault sweeps (debug/README.md).

usage: stdlib_snippets.py json|re|zlib|pyexpat|pickle

Each area exercises its C accelerator (_json, _sre, zlib, pyexpat, _pickle) a few times and checks the result,
so a silent wrong result is an assertion error (a handled outcome, visible in the point's output), and a
MemoryError is the correct reaction to an injected failure.
"""
import sys


def area_json():
    import json

    doc = {"name": "allocspec", "list": [1, 2.5, None, True, "x" * 40], "nested": {"k": ["é", "ü", {"z": []}]}}
    text = json.dumps(doc, sort_keys=True)
    assert json.loads(text) == doc
    pretty = json.dumps(doc, indent=2, ensure_ascii=False)
    assert json.loads(pretty) == doc
    assert json.loads('[1, {"a": "b\\u00e9"}, 3.25e3]') == [1, {"a": "bé"}, 3250.0]


def area_re():
    import re

    pat = re.compile(r"(?P<user>\w+)@(?P<host>\w+)\.com")
    text = " ".join(f"user{i}@host{i}.com" for i in range(20))
    found = pat.findall(text)
    assert len(found) == 20 and found[3] == ("user3", "host3")
    assert re.sub(r"\d+", lambda m: str(int(m.group()) * 2), "a1 b22 c333") == "a2 b44 c666"
    assert re.split(r"[,;]\s*", "a, b;c") == ["a", "b", "c"]
    assert re.fullmatch(r"(a|b)*c", "ababc")


def area_zlib():
    import zlib

    data = b"allocspec " * 2000 + bytes(range(256)) * 8
    packed = zlib.compress(data, 6)
    assert zlib.decompress(packed) == data
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = c.compress(data[:5000]) + c.compress(data[5000:]) + c.flush()
    d = zlib.decompressobj(-15)
    assert d.decompress(stream, 4096) + d.decompress(d.unconsumed_tail) + d.flush() == data
    assert zlib.crc32(data, zlib.crc32(b"")) == zlib.crc32(data)


def area_pyexpat():
    import xml.parsers.expat

    seen = []
    p = xml.parsers.expat.ParserCreate("utf-8")
    p.StartElementHandler = lambda name, attrs: seen.append((name, dict(attrs)))
    p.CharacterDataHandler = lambda text: seen.append(text)
    p.Parse(b'<?xml version="1.0"?><root a="1"><item id="x">caf\xc3\xa9</item><item id="y"/></root>', True)
    assert seen[0] == ("root", {"a": "1"}) and ("item", {"id": "y"}) in seen


def area_pickle():
    import pickle

    obj = {"a": [1, 2, 3] * 10, "b": ("x" * 100, 2.5, None), "c": {i: str(i) for i in range(50)}, "d": b"\x00" * 300}
    for proto in (2, 4, 5):
        assert pickle.loads(pickle.dumps(obj, protocol=proto)) == obj


AREAS = {"json": area_json, "re": area_re, "zlib": area_zlib, "pyexpat": area_pyexpat, "pickle": area_pickle}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in AREAS:
        sys.exit("usage: stdlib_snippets.py " + "|".join(AREAS))
    AREAS[sys.argv[1]]()
    print("ok", sys.argv[1])
