#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: the table and the bar chart of a make bench run.

    report.py RESULTS SVG [SUBTITLE]

RESULTS has one line per client run, tab-separated (guest-bench.sh writes
it): wire, row name, linux|toytcp, pair number, value ("fail" if the run
failed), unit. For each row (in the order of the file) it prints

    mode | Linux median | toytcp median | ratio | spread

where ratio is toytcp's median over Linux's (above 1: toytcp is faster)
for units where more is better, and Linux's over toytcp's for those where
less is better (memory, KB/conn: above 1, toytcp uses less); spread is
the lowest and highest
ratio of one pair (the two runs of a pair ran back to back, so a pair's
ratio is less noisy than either number). SVG gets a bar per row: the ratio,
with the spread as a whisker and a line at 1.0 (as fast as Linux).
Python's standard library only.
"""
import statistics
import sys
from xml.sax.saxutils import escape


def load(path):
    """{(wire, name): {"linux": {pair: value}, "toytcp": {...}, "unit": u}}
    in file order, and the number of failed runs per row."""
    rows, failed = {}, {}
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 6:
                continue
            wire, name, side, pair, value, unit = fields
            key = (wire, name)
            row = rows.setdefault(key, {"linux": {}, "toytcp": {}, "unit": ""})
            failed.setdefault(key, 0)
            if value == "fail":
                failed[key] += 1
                continue
            row[side][int(pair)] = float(value)
            row["unit"] = unit
    return rows, failed


def number(v, unit):
    if v is None:
        return "-"
    return ("%.1f %s" if v < 100 else "%.0f %s") % (v, unit)


# Units where less is better: their ratio is Linux's over toytcp's.
LESS_IS_BETTER = {"KB/conn", "retx/MB"}


def better_ratio(toy, lin, unit):
    """toytcp's value against Linux's, above 1 when toytcp is better."""
    if unit in LESS_IS_BETTER:
        return lin / toy if toy > 0 else None
    return toy / lin if lin > 0 else None


def summarise(rows, failed):
    """One dict per row: label, medians, ratio, spread (lo, hi), note."""
    out = []
    for (wire, name), row in rows.items():
        lin, toy, unit = row["linux"], row["toytcp"], row["unit"]
        lmed = statistics.median(lin.values()) if lin else None
        tmed = statistics.median(toy.values()) if toy else None
        ratio = (better_ratio(tmed, lmed, unit)
                 if lmed is not None and tmed is not None else None)
        pairs = [better_ratio(toy[p], lin[p], unit) for p in lin if p in toy]
        pairs = [r for r in pairs if r is not None]
        spread = (min(pairs), max(pairs)) if pairs else None
        if failed[(wire, name)]:
            note = "%d run(s) failed" % failed[(wire, name)]
        elif len(pairs) == 1:
            note = "1 pair"
        elif spread:
            note = "%.2f-%.2f" % spread
        else:
            note = "-"
        out.append({"label": "%s, %s" % (name, wire), "wire": wire,
                    "linux": number(lmed, row["unit"]),
                    "toytcp": number(tmed, row["unit"]),
                    "ratio": ratio, "spread": spread, "note": note})
    return out


def table(summary):
    head = ("mode", "Linux median", "toytcp median", "ratio", "spread")
    lines = [(s["label"], s["linux"], s["toytcp"],
              "%.2f" % s["ratio"] if s["ratio"] is not None else "-",
              s["note"]) for s in summary]
    width = [max(len(r[i]) for r in [head] + lines) for i in range(5)]
    fmt = " | ".join("%%-%ds" % w for w in width)
    print((fmt % head).rstrip())
    print("-+-".join("-" * w for w in width))
    for r in lines:
        print((fmt % r).rstrip())


def svg(summary, path, subtitle):
    """Horizontal bars of the ratios, one per row, with the spread."""
    left, plot, rowh, top = 250, 440, 26, 62
    hi = [s["spread"][1] for s in summary if s["spread"]]
    hi += [s["ratio"] for s in summary if s["ratio"] is not None]
    xmax = max([1.25] + [h * 1.1 for h in hi])
    xmax = int(xmax * 4 + 0.999) / 4.0      # a multiple of 0.25
    height = top + rowh * len(summary) + 40
    width = left + plot + 90

    def x(r):
        return left + plot * r / xmax

    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="12">' % (width, height),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="10" y="20" font-size="15" font-weight="bold">'
         'toytcp / Linux TCP, same program, same wire (median ratio, '
         'memory inverted; whisker: lowest and highest pair)</text>',
         '<text x="10" y="38" fill="#555">%s</text>' % escape(subtitle)]
    bottom = top + rowh * len(summary)
    tick = 0.0
    while tick <= xmax + 1e-9:                      # the grid
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                 % (x(tick), top - 6, x(tick), bottom))
        o.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">'
                 '%g</text>' % (x(tick), bottom + 16, tick))
        tick += 0.25
    for i, s in enumerate(summary):
        y = top + i * rowh
        colour = "#4a7ab5" if s["wire"] == "veth" else "#8fb36a"
        o.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                 % (left - 8, y + 15, escape(s["label"])))
        if s["ratio"] is None:
            o.append('<text x="%d" y="%d" fill="#b00">no result</text>'
                     % (left + 4, y + 15))
            continue
        o.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                 % (left, y + 3, x(s["ratio"]) - left, rowh - 8, colour))
        end = s["ratio"]
        if s["spread"] and s["spread"][0] != s["spread"][1]:
            lo, hi_ = s["spread"]
            yc = y + rowh / 2 - 1
            o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                     'stroke="black"/>' % (x(lo), yc, x(hi_), yc))
            for r in (lo, hi_):
                o.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                         'stroke="black"/>' % (x(r), yc - 5, x(r), yc + 5))
            end = max(end, hi_)
        o.append('<text x="%.1f" y="%d">%.2f</text>'
                 % (x(end) + 5, y + 15, s["ratio"]))
    o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#b00" '
             'stroke-dasharray="4,3"/>' % (x(1), top - 10, x(1), bottom))
    o.append('<text x="%.1f" y="%d" fill="#b00" text-anchor="middle">'
             'as fast as Linux</text>' % (x(1), top - 14))
    o.append('<text x="%d" y="%d" fill="#555">blue: over the veth pair; '
             'green: over loopback (one pair)</text>' % (left, bottom + 34))
    o.append('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: report.py RESULTS SVG [SUBTITLE]")
    rows, failed = load(sys.argv[1])
    summary = summarise(rows, failed)
    table(summary)
    svg(summary, sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    print("chart: %s" % sys.argv[2])
    # a failed run is an error; a low ratio is not
    sys.exit(1 if any(failed.values()) else 0)


if __name__ == "__main__":
    main()
