"""Text from Plannr, made fit to show: bidirectional controls and length.

One module for every place that shows Plannr text: the pages use it through the
template filters in ui/templatetags/plannr_text.py (`isolate`,
`strip_bidi`, `cut`), emails call these functions directly.
"""

import re
from dataclasses import dataclass

# Explicit embeddings, overrides and isolates, and the invisible direction marks.
# An unmatched U+202E (right-to-left override) from Plannr would otherwise reverse
# whatever follows it on the page: a status, a date, the next column.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")

# Longer texts are cut on pages (which link to the full raw text) and in emails.
PAGE_TEXT_LIMIT = 2_000
EMAIL_TEXT_LIMIT = 2_000


def strip_bidi(text):
    """`text` without bidi controls: for plain text that cannot isolate them (titles, email subjects)."""
    return _BIDI.sub("", str(text)) if text else ""


@dataclass(frozen=True)
class Cut:
    text: str
    was_cut: bool
    full_length: int


def cut(text, limit):
    """The first `limit` characters of `text` (at a line or word end when one is near), and whether it was cut."""
    text = str(text or "")
    if len(text) <= limit:
        return Cut(text, False, len(text))
    head = text[:limit]
    # Stop at a line or word end in the last tenth rather than mid-word.
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at >= limit * 9 // 10:
            head = head[:at]
            break
    return Cut(head, True, len(text))
