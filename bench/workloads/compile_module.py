"""compile() of large real modules of the stdlib: tokenizer, parser, AST and code objects."""
import os
import sysconfig

SOURCES = ["typing.py", "argparse.py", "inspect.py"]


def run(scale):
    stdlib = sysconfig.get_paths()["stdlib"]
    texts = []
    for name in SOURCES:
        with open(os.path.join(stdlib, name), encoding="utf-8") as f:
            texts.append((name, f.read()))
    total = 0
    for r in range(scale):
        for name, text in texts:
            code = compile(text, name, "exec")
            total += len(code.co_consts)
    return total
