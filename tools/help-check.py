#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make check: every option in the --help of the python tools has a line
that explains it (argparse prints an option with no help text bare)."""
import re
import subprocess
import sys

TOOLS = [["tools/toytrace"], ["tools/toystat"], ["tools/demo/chapters.py"],
         ["tools/demo/scene.py"]] + [["tools/demo/scene.py", sub] for sub in
                                      ("server", "client", "respond", "ask", "slowread")]


def bare_options(text):
    lines = text.splitlines()
    bare = []
    for i, line in enumerate(lines):
        m = re.match(r"^  (-\S.*?)(\s{2,}(\S.*))?$", line)
        if not m or m.group(3):
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if not re.match(r"^ {8,}\S", nxt):
            bare.append(m.group(1))
    return bare


def main():
    failed = 0
    for tool in TOOLS:
        out = subprocess.run(["/usr/bin/python3"] + tool + ["--help"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True).stdout
        opts = [x for x in out.splitlines() if re.match(r"^  -", x)]
        bare = bare_options(out)
        print("%s --help: %d options, %d without a line of help%s" %
              (" ".join(tool), len(opts), len(bare), (": " + ", ".join(bare)) if bare else ""))
        failed += bool(bare) or not opts
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
