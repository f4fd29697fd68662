"""Result rows and the table `make bench` prints (plain text, and Markdown for the docs).

A row is one figure: what was measured, next to its baseline or its target when
it has one. Benchmarks build rows with `row()`; the runner gathers them from
every benchmark process as JSON and prints them in one table.
"""

import math

COLUMNS = [
    ("section", "benchmark"),
    ("engine", "db"),
    ("n", "N"),
    ("figure", "figure"),
    ("value", "measured"),
    ("baseline", "baseline"),
    ("ratio", "ratio"),
    ("target", "target"),
    ("verdict", "ok?"),
]


def row(
    section,
    figure,
    value,
    *,
    engine="",
    n="",
    baseline="",
    ratio=None,
    target="",
    ok=None,
    note="",
    ratio_digits=2,
):
    """One figure. `ok` is True/False when the figure has a target, None when it is informational."""
    return {
        "section": section,
        "engine": engine,
        "n": n if isinstance(n, str) else f"{n:,}",
        "figure": figure,
        "value": value,
        "baseline": baseline,
        "ratio": "" if ratio is None or math.isnan(ratio) else f"{ratio:.{ratio_digits}f}×",
        "target": target,
        "ok": ok,
        "note": note or "",
    }


def verdict(ok):
    return {True: "ok", False: "MISSED", None: ""}[ok]


def ms(seconds):
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.2f} s"


def secs(seconds):
    return f"{seconds:,.1f} s"


def count(value):
    return f"{value:,}"


def size(n_bytes):
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes:,.0f} B"


def _cells(rows):
    return [[str(r[key]) if key != "verdict" else verdict(r["ok"]) for key, _ in COLUMNS] for r in rows]


def _where(r):
    return f"{r['section']} / {r['figure']}" + (f" ({r['engine']})" if r["engine"] else "")


def render_text(rows):
    header = [title for _, title in COLUMNS]
    cells = _cells(rows)
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), line]
    previous = None
    for r, c in zip(rows, cells):
        if previous is not None and r["section"] != previous:
            out.append("")
        previous = r["section"]
        out.append("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
    notes = [f"- {_where(r)}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", "Notes:", *notes]
    return "\n".join(out)


def render_markdown(rows):
    header = [title for _, title in COLUMNS]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for c in _cells(rows):
        out.append("| " + " | ".join(v.replace("|", "\\|") for v in c) + " |")
    notes = [f"- **{_where(r)}**: {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", *notes]
    return "\n".join(out)
