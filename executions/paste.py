"""Reading a pasted list of execution UUIDs.

People paste from spreadsheets, emails and logs, so the separators are loose
(newlines, commas, semicolons, spaces) and the report is precise: every token
that is not a UUID is named with its line number, and every repeat is named
with the line it repeats, so nothing is dropped without a word. A link copied from Plannr's address bar
counts as the UUID in it (the last one in the link, which names the page's object).
"""

import re
import uuid as uuid_lib
from dataclasses import dataclass, field

_SEPARATORS = re.compile(r"[\s,;]+")
# Quotes and brackets that spreadsheets and JSON dumps leave around values.
_WRAPPING = "\"'`()[]<>"
_CANONICAL = re.compile(r"^\{?[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\}?$")
# A UUID inside a link: dashed, between non-hex characters.
_IN_LINK = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9a-fA-F])")


@dataclass(frozen=True)
class InvalidToken:
    line: int
    text: str


@dataclass(frozen=True)
class Duplicate:
    line: int
    uuid: uuid_lib.UUID
    first_line: int


@dataclass
class PasteResult:
    uuids: list = field(default_factory=list)  # valid, distinct, in paste order
    invalid: list = field(default_factory=list)  # InvalidToken
    duplicates: list = field(default_factory=list)  # Duplicate
    token_count: int = 0

    @property
    def is_empty(self):
        return self.token_count == 0


def parse_uuid(token):
    """The UUID in `token`, or None. Accepts upper case, braces, the 32-hex form, and a
    link (a Plannr URL): the last UUID in it."""
    token = token.strip(_WRAPPING)
    if "/" in token:
        found = _IN_LINK.findall(token)
        token = found[-1] if found else ""
    if not _CANONICAL.match(token):
        return None
    try:
        return uuid_lib.UUID(token)
    except ValueError:
        return None


def parse_paste(text):
    result = PasteResult()
    first_seen = {}
    for line_no, line in enumerate((text or "").splitlines(), start=1):
        for token in _SEPARATORS.split(line):
            if not token:
                continue
            result.token_count += 1
            value = parse_uuid(token)
            if value is None:
                result.invalid.append(InvalidToken(line_no, token))
            elif value in first_seen:
                result.duplicates.append(Duplicate(line_no, value, first_seen[value]))
            else:
                first_seen[value] = line_no
                result.uuids.append(value)
    return result


def count_tokens(text):
    """How many items a paste holds, without parsing them (for the size limit)."""
    return sum(1 for token in _SEPARATORS.split(text or "") if token)


def count_lines(text):
    """How many lines of a paste hold anything: what the person sees they pasted."""
    return sum(1 for line in (text or "").splitlines() if line.strip())
