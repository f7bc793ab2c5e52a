#!/usr/bin/env python3
"""The layers of src/ as the build enforces them (docs/architecture.md).

For each layer, takes the compile command of one of its own files from the
build (compile_commands.json) and compiles probe files with it
(-fsyntax-only): one including a header of each layer of src/. A header of
an allowed layer must compile; one of any other layer must fail for want of
the file. PostgreSQL's headers must be found only where the pg layer is
allowed. Besides: the layer's include directories hold only allowed layers,
none is src/ itself, and no include in src/ climbs out of its folder ("..").

Usage: check.py <build dir>
"""
import json
import os
import re
import shlex
import subprocess
import sys

# A header of each layer that compiles on its own.
HEADERS = {
    "toolkit": "toolkit/types.h",
    "component": "component/model.h",
    "services": "services/jwt.h",
    "engine": "engine/engine.h",
    "pg": "pg/guard.h",
    "fdw": "fdw/guest.h",
}
PG_HEADER = "postgres.h"


def fail(msg):
    print("FAIL: " + msg)
    return 1


def main():
    build = os.path.abspath(sys.argv[1])
    with open(os.path.join(build, "layers.txt")) as f:
        allowed = {}
        for line in f:
            words = line.split()
            if words:
                allowed[words[0]] = set(words[1:])
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = json.load(f)
    src = None
    for entry in commands:
        m = re.match(r"(.*)/src/[^/]+/", entry["file"])
        if m:
            src = m.group(1) + "/src"
            break
    include_root = os.path.join(build, "include")
    failures = 0
    checks = 0

    # No include climbs out of its folder: the including file's own
    # directory must not reach another layer either.
    for root, _, files in os.walk(src):
        for name in files:
            path = os.path.join(root, name)
            if not name.endswith((".h", ".cc", ".c")):
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if re.match(r'\s*#\s*include\s*"[^"]*\.\./', line):
                        failures += fail(f"{path}:{n} includes with '..': {line.strip()}")
    checks += 1

    for layer in sorted(allowed):
        entry = next((e for e in commands
                      if e["file"].startswith(f"{src}/{layer}/")), None)
        if entry is None:
            failures += fail(f"no compile command for a file of src/{layer}")
            continue
        args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
        cmd, skip = [], False
        for a in args:
            if skip:
                skip = False
            elif a in ("-o", "-c", "-MT", "-MF", "-MQ"):
                skip = True
            elif a in ("-MD", "-MMD") or a == entry["file"]:
                pass
            else:
                cmd.append(a)

        # Its include directories: layer directories of allowed layers only.
        for i, a in enumerate(cmd):
            d = a[2:] if a.startswith("-I") and len(a) > 2 else (
                cmd[i + 1] if a in ("-I", "-isystem", "-iquote") and i + 1 < len(cmd) else None)
            if d is None:
                continue
            d = os.path.normpath(d)
            if d == src or d.startswith(src + os.sep):
                failures += fail(f"layer {layer} compiles with {d} on its include path")
            elif os.path.dirname(d) == include_root:
                other = os.path.basename(d)
                if not allowed.get(other, {other}) <= allowed[layer]:
                    failures += fail(f"layer {layer} compiles with the include directory of "
                                     f"layer {other}, which reaches "
                                     f"{sorted(allowed[other] - allowed[layer])}")
        checks += 1

        probe_dir = os.path.join(build, "layers", layer)
        os.makedirs(probe_dir, exist_ok=True)
        wants = [(h, other in allowed[layer]) for other, h in sorted(HEADERS.items())]
        wants.append((PG_HEADER, "pg" in allowed[layer]))
        for header, reachable in wants:
            probe = os.path.join(probe_dir, "probe_" + re.sub(r"\W", "_", header) + ".cc")
            with open(probe, "w") as f:
                f.write(f'// A file of the {layer} layer.\n#include "{header}"\n')
            r = subprocess.run(cmd + ["-fsyntax-only", probe], cwd=entry["directory"],
                               capture_output=True, text=True)
            checks += 1
            missing = f"{header}: No such file or directory" in r.stderr
            if reachable and r.returncode != 0:
                failures += fail(f"layer {layer} cannot include {header}:\n{r.stderr}")
            elif not reachable and r.returncode == 0:
                failures += fail(f"layer {layer} can include {header}")
            elif not reachable and not missing:
                failures += fail(f"layer {layer} including {header} fails otherwise than "
                                 f"by not finding it:\n{r.stderr}")
            else:
                print(f"ok: {layer} {'includes' if reachable else 'cannot include'} {header}")

    print(f"{checks} checks, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
