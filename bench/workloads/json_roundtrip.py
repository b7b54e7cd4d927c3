"""JSON round trips: build a nested document, dumps, loads, compare."""
import json


def make_doc(n):
    return {
        "users": [
            {"id": i, "name": "user%d" % i, "tags": ["a", "b", str(i % 7)], "score": i * 0.25,
             "active": i % 3 == 0, "address": {"city": "c%d" % (i % 50), "zip": "%05d" % i}}
            for i in range(n)
        ],
        "meta": {"count": n, "version": "1.0"},
    }


def run(scale):
    total = 0
    for r in range(4 * scale):
        doc = make_doc(300)
        text = json.dumps(doc, sort_keys=True)
        back = json.loads(text)
        assert back == doc
        total += len(text) + len(back["users"])
    return total
