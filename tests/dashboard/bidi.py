"""Where bidirectional controls end up in a page: every one must be inside a <bdi> (or an
element of a class that static/css/app.css isolates), none in <title>."""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from executions.text import BIDI_CONTROLS

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


@cache
def css_isolated():
    """What app.css gives `unicode-bidi: isolate` to: ({class}, {(ancestor class, tag)}),
    from its selectors `.class` and `.class tag`."""
    css = CSS.read_text()
    rule = css[css.index("/* Plannr text keeps its direction"):]
    selectors = rule[rule.index("*/") + 2: rule.index("{")]
    alone, within = set(), set()
    for selector in selectors.split(","):
        if m := re.fullmatch(r"\s*\.([\w-]+)\s*", selector):
            alone.add(m.group(1))
        elif m := re.fullmatch(r"\s*\.([\w-]+)\s+([a-z0-9]+)\s*", selector):
            within.add((m.group(1), m.group(2)))
    return frozenset(alone), frozenset(within)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder"}


class _Walker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.isolating = []  # per open element: whether it isolates its text
        self.classes = []  # per open element: its classes
        self.unisolated = []
        self.in_title = []
        self.isolated = 0

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and any(c in value for c in BIDI_CONTROLS):
                self.unisolated.append(f"<{tag} {name}={value!r}>")
        if tag not in VOID:
            classes = set((dict(attrs).get("class") or "").split())
            alone, within = css_isolated()
            above = set().union(*self.classes) if self.classes else set()
            self.stack.append(tag)
            self.classes.append(classes)
            self.isolating.append(
                tag == "bdi" or bool(classes & alone) or any((c, tag) in within for c in above)
            )

    def handle_endtag(self, tag):
        if tag in self.stack:
            while True:
                self.isolating.pop()
                self.classes.pop()
                if self.stack.pop() == tag:
                    break

    def handle_data(self, data):
        if not any(c in data for c in BIDI_CONTROLS):
            return
        if "title" in self.stack:
            self.in_title.append(data)
        elif any(self.isolating):
            self.isolated += 1
        else:
            self.unisolated.append(f"{'>'.join(self.stack[-3:])}: {data.strip()[:60]!r}")


def bidi_report(html):
    """(isolated text count, unisolated places, bidi-carrying <title> texts)."""
    walker = _Walker()
    walker.feed(html)
    walker.close()
    return walker.isolated, walker.unisolated, walker.in_title
