#!/usr/bin/env python3
"""Copies files into a seed corpus under their content's hash.

Usage: add_seeds.py [--max-size BYTES] DIR FILE...

Duplicates collapse into one seed; files over --max-size are skipped.
"""
import argparse
import hashlib
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-size", type=int, default=None)
    parser.add_argument("dir")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    for path in args.files:
        with open(path, "rb") as f:
            data = f.read()
        if args.max_size is not None and len(data) > args.max_size:
            continue
        with open(os.path.join(args.dir, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
