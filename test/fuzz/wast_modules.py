#!/usr/bin/env python3
"""Writes each text-format module of .wast scripts to a file of its own.

Usage: wast_modules.py OUT_DIR SCRIPT.wast...

A script's modules, at its top level or inside assertions, become
OUT_DIR/<script>.<n>.wat, as written (comments and all): seeds for the text
fuzz target. `(module binary ...)` is left out (wast2json gives those as
.wasm) and so is `(module quote ...)` (wast2json gives those as .wat).
"""
import os
import sys


def forms(text):
    """Yields (start, end) of every `(module` form not inside another."""
    i, n = 0, len(text)
    depth = 0
    module_start, module_depth = None, None
    while i < n:
        c = text[i]
        if text.startswith(";;", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("(;", i):
            # Block comments nest.
            level, i = 1, i + 2
            while i < n and level:
                if text.startswith("(;", i):
                    level, i = level + 1, i + 2
                elif text.startswith(";)", i):
                    level, i = level - 1, i + 2
                else:
                    i += 1
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            continue
        if c == "(":
            if module_start is None and text.startswith("(module", i) and (
                    i + 7 < n and not (text[i + 7].isalnum() or text[i + 7] in "._")):
                module_start, module_depth = i, depth
            depth += 1
        elif c == ")":
            depth -= 1
            if module_start is not None and depth == module_depth:
                yield module_start, i + 1
                module_start = None
        i += 1


def kind(module_text):
    words = module_text[len("(module"):].split(None, 2)
    if words and words[0].startswith("$"):
        words = words[1:]
    return words[0] if words else ""


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        name = os.path.splitext(os.path.basename(path))[0]
        count = 0
        for start, end in forms(text):
            module_text = text[start:end]
            if kind(module_text) in ("binary", "quote"):
                continue
            out = os.path.join(out_dir, f"{name}.{count}.wat")
            with open(out, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(module_text + "\n")
            count += 1


if __name__ == "__main__":
    main()
