#!/usr/bin/env python3
"""Checks the layer rule of docs/ARCHITECTURE.md: a library folder may
include only its own headers and those of the layers listed before it.
Exits non-zero naming every offending include (file:line)."""
import pathlib
import re
import sys

# The order of docs/ARCHITECTURE.md's layer table.
LAYERS = ["common", "io", "formats", "codec", "index", "query", "build", "eval", "text", "gen", "collection", "server"]
INCLUDE = re.compile(r'#\s*include\s+"spindle/([a-z_]+)/')


def main(root: pathlib.Path) -> int:
    rank = {name: i for i, name in enumerate(LAYERS)}
    bad = []
    for top in (root / "src", root / "include" / "spindle"):
        for path in sorted(top.rglob("*")):
            if path.suffix not in (".hpp", ".cpp", ".h") or not path.is_file():
                continue
            layer = path.relative_to(top).parts[0]
            if layer not in rank:
                if len(path.relative_to(top).parts) > 1:
                    bad.append(f"{path}: folder '{layer}' is not in the layer list")
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                m = INCLUDE.search(line)
                if m and m.group(1) in rank and rank[m.group(1)] > rank[layer]:
                    bad.append(f"{path}:{n}: layer '{layer}' includes '{m.group(1)}', a layer below it")
    for b in bad:
        print(b)
    print(f"{len(bad)} layer violations" if bad else "layer rule holds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
