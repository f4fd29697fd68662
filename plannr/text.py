"""Text from Plannr made storable: no NUL, no lone surrogates.

JSON lets Plannr send `\\u0000` and unpaired `\\ud800` escapes. Python decodes both,
but PostgreSQL refuses NUL in text and jsonb, and neither engine can encode a lone
surrogate as UTF-8. Stored text replaces each with U+FFFD (visibly "something was
here"); the faithful payload is kept beside it as ASCII-escaped JSON
(`Snapshot.raw_payload`) whenever the two differ.
"""

import json
import re

import orjson

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value):
    """`value` with NUL and lone surrogates replaced; other values unchanged."""
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return _UNSTORABLE.sub(REPLACEMENT, value)
    return value


def is_storable(value):
    """True when nothing in a decoded payload needs replacing: the common case, checked in C.

    orjson refuses lone surrogates and writes NUL as an escape. A false "no" (a
    literal backslash-u0000 in the text) only costs the slow path of `clean_payload`.
    """
    try:
        encoded = orjson.dumps(value)
    except TypeError:
        return False
    return b"\\u0000" not in encoded


def clean_payload(value):
    """(storable copy of a decoded JSON value, whether anything was replaced)."""
    changed = False

    def walk(item):
        nonlocal changed
        if isinstance(item, str):
            cleaned = clean_text(item)
            changed = changed or cleaned is not item
            return cleaned
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    cleaned = walk(value)
    return cleaned, changed


def escaped_json(value):
    """The payload exactly as decoded, as ASCII JSON: storable in any text column."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))
