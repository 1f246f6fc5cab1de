#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""make check: the demo's page (chapters.html) opens in a real browser.

    page-check.py PAGE PNG

Headless Chromium (Debian's package) renders PAGE and takes a screenshot
into PNG. Fails if the page asks for anything over the network (a link,
script or style from elsewhere in the source, or a request the page's
Content-Security-Policy blocked while it rendered), if Chromium fails or
draws nothing, or if a drawing of the source is missing from the rendered
page (every chapter has at least one).
"""
import os
import re
import subprocess
import sys

CHROMIUM = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--disable-background-networking"]


def main():
    page, png = sys.argv[1], sys.argv[2]
    problems = []
    with open(page, errors="replace") as fh:
        src = fh.read()
    # url(#id) is a reference inside the page (the ladders' arrowheads)
    outside = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)[^"'\s>]*|"""
                         r"""url\(\s*["']?(?!#)[^)]*\)|<script|<link\b|@import""", src, re.I)
    if outside:
        problems.append("refers to the outside: %s" % ", ".join(sorted(set(outside))[:5]))
    if 'name="viewport"' not in src:
        problems.append("no viewport: not readable on a phone")
    sections = len(re.findall(r"<section\b", src))
    drawings = len(re.findall(r"<svg\b", src))
    if not sections or drawings < sections:
        problems.append("%d chapters but %d drawings in the page" % (sections, drawings))
    if os.path.exists(png):
        os.unlink(png)
    url = "file://" + os.path.abspath(page)
    shot = subprocess.run(CHROMIUM + ["--enable-logging=stderr", "--v=0", "--screenshot=" + png,
                                      "--window-size=1000,4000", url],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    # a fetch the page's policy blocked is logged as a console message
    blocked = [x for x in shot.stdout.splitlines()
               if re.search(r"Content Security Policy|violates", x)]
    if blocked:
        problems.append("asked for something while rendering: %s" % blocked[0][:200])
    if shot.returncode or not os.path.exists(png) or os.path.getsize(png) < 20000:
        problems.append("no screenshot (exit %d, %d bytes)" %
                        (shot.returncode, os.path.getsize(png) if os.path.exists(png) else 0))
    dom = subprocess.run(CHROMIUM + ["--dump-dom", url], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, timeout=120).stdout
    rendered = len(re.findall(r"<svg\b", dom))
    if rendered != drawings:
        problems.append("%d drawings in the source, %d in the rendered page" %
                        (drawings, rendered))
    print("%s: %d chapters, %d drawings rendered, screenshot %s (%d bytes)%s" %
          (page, sections, rendered, png, os.path.getsize(png) if os.path.exists(png) else 0,
           "".join("\n  problem: " + p for p in problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
