"""Text from Plannr, made fit to show: bidirectional controls.

One module for every place that shows Plannr text: the pages use it through the
template filters in executions/templatetags/plannr_text.py (`isolate`,
`strip_bidi`), emails call these functions directly.
"""

import re

# Explicit embeddings, overrides and isolates, and the invisible direction marks.
# An unmatched U+202E (right-to-left override) from Plannr would otherwise reverse
# whatever follows it on the page: a status, a date, the next column.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def strip_bidi(text):
    """`text` without bidi controls: for plain text that cannot isolate them (titles, email subjects)."""
    return _BIDI.sub("", str(text)) if text else ""
