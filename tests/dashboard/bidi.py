"""Where bidirectional controls end up in a page: every one must be inside a <bdi>, none in <title>."""

from html.parser import HTMLParser

from executions.text import BIDI_CONTROLS

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder"}


class _Walker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.unisolated = []
        self.in_title = []
        self.isolated = 0

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and any(c in value for c in BIDI_CONTROLS):
                self.unisolated.append(f"<{tag} {name}={value!r}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if not any(c in data for c in BIDI_CONTROLS):
            return
        if "title" in self.stack:
            self.in_title.append(data)
        elif "bdi" in self.stack:
            self.isolated += 1
        else:
            self.unisolated.append(f"{'>'.join(self.stack[-3:])}: {data.strip()[:60]!r}")


def bidi_report(html):
    """(isolated text count, unisolated places, bidi-carrying <title> texts)."""
    walker = _Walker()
    walker.feed(html)
    walker.close()
    return walker.isolated, walker.unisolated, walker.in_title
