"""Turning a failure message into the part of an incident's fingerprint that groups it.

Two failures that differ only in what Plannr embedded in the text (a uuid, an id,
an e-mail address, a date, a quoted value, a URL) must land in the same incident,
so those are masked. Then the text is lower-cased and its white space folded.

`normalise` is idempotent (`normalise(normalise(t)) == normalise(t)`): the masks
contain nothing any pattern matches, and masking repeats until nothing changes,
because one mask can open a word boundary for another ("2026-03-14www.x" hides
its URL until the date is masked). tests/incidents/test_normaliser.py holds the
table of real-looking Plannr texts and the property test.
"""

import re

from plannr import parse_info
from privacy.detectors import fingerprint_mask

# How much of a message takes part in the fingerprint. Long texts differ in their
# tails (stack traces, payload dumps) more often than in their cause.
MESSAGE_LIMIT = 300

_SPACE = re.compile(r"\s+")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

# Order matters: wider things first, so a URL's uuid or a date's digits are not
# masked piecemeal.
_MASKS = [
    ("<url>", re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.[^\s/]+\S*")),
    ("<email>", re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")),
    (
        "<uuid>",
        re.compile(r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b"),
    ),
    (
        "<date>",
        re.compile(
            r"\b\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:z\b|[+-]\d{2}:?\d{2}\b)?"
            r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s{_MONTH}(?:,?\s\d{{4}})?\b"
            rf"|\b{_MONTH}\s\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s\d{{4}})?\b"
        ),
    ),
    ("<time>", re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?[ap]\.?m\b\.?)?(?:\s?(?:utc|gmt|bst)\b)?")),
    # Quoted values: straight and typographic quotes, and backticks. An apostrophe
    # inside a word (client's) is not a quote.
    ("<q>", re.compile(r"\"[^\"]*\"|(?<!\w)'[^']*'(?!\w)|`[^`]*`|“[^”]*”|‘[^’]*’")),
    # Ids that are not uuids: long hex or base-62-ish tokens with a digit in them.
    ("<id>", re.compile(r"(?<![0-9a-z])(?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{12,}(?![0-9a-z])")),
    ("<n>", re.compile(r"\d+(?:[.,]\d+)*")),
]


# Each round can only shorten the text or turn characters into masks; real messages
# settle in one or two.
_ROUNDS = 8


def normalise(text):
    """The masked, lower-cased, space-folded form of one message.

    Personal data first, with privacy's own detectors: a message stored redacted
    (REDACT_AT_REST) and the same message stored whole give one fingerprint.
    """
    text = _SPACE.sub(" ", fingerprint_mask(text or "").lower()).strip()
    for _ in range(_ROUNDS):
        masked = _mask_once(text)[:MESSAGE_LIMIT].strip()
        if masked == text:
            break
        text = masked
    return text


def _mask_once(text):
    for mask, pattern in _MASKS:
        text = pattern.sub(mask, text)
    return text


def failure_message(messages, raw_info, status=""):
    """The human message a failure is known by: the first parsed one, else the raw text."""
    for message in messages or ():
        if str(message).strip():
            return str(message).strip()
    raw = (raw_info or "").strip()
    if raw:
        report = parse_info(raw)
        if report.errors:
            return report.errors[0]
        if report.messages:
            return report.messages[0]
        return raw
    return f"status {status}" if status else ""


def message_key(raw_info, messages=None, status=""):
    """The normalised message of a failure, as the fingerprint uses it."""
    return normalise(failure_message(messages, raw_info, status))
