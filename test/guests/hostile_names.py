#!/usr/bin/env python3
"""Modules whose names are made to break generated C, for the native engine.

    hostile_names.py --out DIR [--marker PATH]

The native engine translates modules to C (wasm2c) and compiles them. Names
are the text a module chooses: if any reached the C, a name closing a
comment could add code to the build, such as a constructor that runs a
command as the server's user. These modules put names made of C's and the
preprocessor's metacharacters (*/, //, backslashes, newlines, trigraphs,
quotes, #), zero bytes, invalid UTF-8 and huge names in every place a name
can stand: import module and field names of each kind, export names of each
kind, the name section (module, functions, locals, and wabt's extended
subsections: labels, types, tables, memories, globals, elements, data),
custom sections' names and contents, and data segments' bytes.

Every payload, if it were compiled, would create the file at --marker: the
tests check that it never exists and that the modules run natively.

Writes DIR/hostile_names_<k>.wasm (no imports: loadable in SQL; each exports
"steps"-like functions named with payloads) and
DIR/hostile_names_imports.wasm (imports of every kind with payload names,
for the engine's own tests), and DIR/hostile_names.tsv: for each SQL module,
its file and the hex of the name of its export `f(i32) -> i32` (returning
the argument plus 1) that the tests call.
"""
import argparse
import os

MARKER_DEFAULT = "/tmp/pg_wasm_hostile_names_marker"


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def name(b):
    return leb(len(b)) + b


def vec(items):
    return leb(len(items)) + b"".join(items)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


def payloads(marker):
    """Byte strings, each meant to break out of a comment, a string or a line."""
    cmd = ('touch ' + marker).encode()
    # Guarded: each name stands in module.h and again in module.c.
    ctor = (b'*/\n#ifndef pgw_hostile_guard\n#define pgw_hostile_guard\n'
            b'__attribute__((constructor)) static void pgw_hostile(void) '
            b'{ extern int system(const char *); system("' + cmd + b'"); }\n#endif\n/*')
    return [
        ctor,
        b"// \\\n" + ctor[2:],                       # line comment, continued
        b"??/\n" + ctor[2:],                         # trigraph backslash
        b"\"; " + ctor[2:] + b" \"",                 # out of a string
        b"'" + ctor + b"'",                          # quotes
        b"\n#define u32 int\n#include \"/etc/passwd\"\n",
        b"\\",                                       # a lone backslash
        b"a\x00" + ctor,                             # a zero byte first
        ("\u202e*/ \u00e9\U0001F600 /*").encode(),   # non-ASCII UTF-8
        b"*/" * 40000,                               # 80 kB of comment ends
    ]


class Payloads:
    """Payload i, each time with its own name for the constructor (a C file
    with two of one name would not compile, and the test would prove less)."""

    def __init__(self, marker):
        self.base = payloads(marker)
        self.uses = 0

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.uses += 1
        return self.base[i % len(self.base)].replace(
            b"pgw_hostile", b"pgw_hostile_%d" % self.uses)


def invalid_utf8(p):
    return b"\xff\xfe" + p + b"\xc0\x80"


FUNC_TYPE = b"\x60\x01\x7f\x01\x7f"   # (i32) -> i32
VOID_TYPE = b"\x60\x00\x00"


def plus_one_body(locals_=True):
    # (local i32) local.get 0 i32.const 1 i32.add
    body = (b"\x01\x01\x7f" if locals_ else b"\x00") + b"\x20\x00\x41\x01\x6a\x0b"
    return leb(len(body)) + body


def name_section(ps, functions, locals_per_function=1, bad_utf8=False):
    """The name section with every subsection wabt knows, names from ps
    (local names in invalid UTF-8 if bad_utf8: wasm2c itself refuses those,
    where the toolkit reads the name section leniently)."""
    local_name = invalid_utf8 if bad_utf8 else (lambda p: p)
    def assoc(pairs):
        return vec([leb(i) + name(n) for i, n in pairs])

    subs = []
    subs.append((0, name(ps[0])))                                    # module
    subs.append((1, assoc([(i, ps[(i + 1) % len(ps)]) for i in range(functions)])))
    local_map = [leb(f) + assoc([(l, local_name(ps[(f + l) % len(ps)]))
                                 for l in range(locals_per_function + 1)])
                 for f in range(functions)]
    subs.append((2, vec(local_map)))                                 # locals
    subs.append((3, vec([leb(f) + assoc([(0, ps[2])]) for f in range(functions)])))  # labels
    subs.append((4, assoc([(0, ps[3]), (1, ps[4])])))                # types
    subs.append((5, assoc([(0, ps[5])])))                            # tables
    subs.append((6, assoc([(0, ps[6])])))                            # memories
    subs.append((7, assoc([(0, ps[7])])))                            # globals
    subs.append((8, assoc([(0, ps[8])])))                            # elements
    subs.append((9, assoc([(0, ps[0])])))                            # data
    body = name(b"name") + b"".join(bytes([i]) + leb(len(c)) + c for i, c in subs)
    return section(0, body)


def sql_module(k, ps):
    """No imports: functions, a memory, a table, a global, all exported under
    payload names; the name section and custom sections full of payloads."""
    n_funcs = 3
    p = lambda i: ps[(k + i) % len(ps)]
    callable_name = p(0).replace(b"\x00", b"")  # SQL text holds no zero byte
    exports = [
        name(callable_name) + b"\x00" + leb(0),
        name(p(1) + b"#1") + b"\x00" + leb(1),
        name(p(2) + b"#2") + b"\x00" + leb(2),
        name(p(3) + b"#m") + b"\x02" + leb(0),
        name(p(4) + b"#t") + b"\x01" + leb(0),
        name(p(5) + b"#g") + b"\x03" + leb(0),
    ]
    m = b"\x00asm\x01\x00\x00\x00"
    m += section(0, name(p(6)) + p(7))                               # custom, first
    m += section(1, vec([FUNC_TYPE, VOID_TYPE]))
    m += section(3, vec([leb(0)] * n_funcs))
    m += section(4, vec([b"\x70\x00\x02"]))                          # funcref table min 2
    m += section(5, vec([b"\x00\x02"]))                              # memory min 2
    m += section(6, vec([b"\x7f\x01\x41\x07\x0b"]))                  # (mut i32) 7
    m += section(7, vec(exports))
    m += section(9, vec([b"\x00\x41\x00\x0b" + vec([leb(0), leb(1)])]))  # elem at 0: f0 f1
    m += section(10, vec([plus_one_body() for _ in range(n_funcs)]))
    m += section(11, vec([b"\x00\x41\x00\x0b" + name(p(8))]))      # data at 0
    m += name_section(ps, n_funcs, bad_utf8=k % 2 == 1)
    m += section(0, name(p(9)) + invalid_utf8(p(1)))                 # custom, last
    m += section(0, name(b"producers") + p(2))
    return m, callable_name


def imports_module(ps):
    """Imports of each kind under payload names, exports of each kind too."""
    twice = name(ps[0]) + name(ps[0])   # one module and field name for two imports
    imports = [
        name(ps[0]) + name(ps[1]) + b"\x00" + leb(0),                # function
        name(ps[2]) + name(ps[3]) + b"\x00" + leb(0),                # another, same type
        name(ps[4]) + name(ps[5]) + b"\x01\x70\x00\x01",            # table
        name(ps[6]) + name(ps[7]) + b"\x02\x00\x01",                # memory
        twice + b"\x03\x7f\x00",                                   # global i32
        twice + b"\x03\x7e\x00",                                   # same names, other type
    ]
    exports = [
        name(b"f") + b"\x00" + leb(2),                               # the defined function
        name(ps[9]) + b"\x00" + leb(0),                              # an import re-exported
        name(ps[1] + b"#m") + b"\x02" + leb(0),
        name(ps[2] + b"#t") + b"\x01" + leb(0),
        name(ps[3] + b"#g") + b"\x03" + leb(0),
    ]
    # f(x) = import0(x) + 1
    body = b"\x00\x20\x00\x10\x00\x41\x01\x6a\x0b"
    m = b"\x00asm\x01\x00\x00\x00"
    m += section(1, vec([FUNC_TYPE]))
    m += section(2, vec(imports))
    m += section(3, vec([leb(0)]))
    m += section(7, vec(exports))
    m += section(10, vec([leb(len(body)) + body]))
    m += name_section(ps, 3, locals_per_function=0)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--marker", default=MARKER_DEFAULT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ps = Payloads(args.marker)
    rows = []
    for k in range(len(ps)):
        m, callable_name = sql_module(k, ps)
        path = os.path.join(args.out, "hostile_names_%d.wasm" % k)
        with open(path, "wb") as f:
            f.write(m)
        rows.append("hostile_names_%d.wasm\t%s" % (k, callable_name.hex()))
    with open(os.path.join(args.out, "hostile_names_imports.wasm"), "wb") as f:
        f.write(imports_module(ps))
    with open(os.path.join(args.out, "hostile_names.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
