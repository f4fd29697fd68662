"""Built-in detectors of personal data, in UK formats, and the placeholders they leave.

Each detector is a compiled pattern, optionally with a check on the match (the Luhn
sum for card numbers). `mask(text)` replaces every match with "[kind]". Uuids are
never touched: they are the product's own ids (links, API fields), and a phone
pattern would otherwise eat a piece of one ("0123-4567-89").

Order matters: wider and stricter things first, so a bank account is not taken for
a card number (zeros pass the Luhn check) nor a card number for a phone number.
"""

import re
from dataclasses import dataclass

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
)
_SORT_CODE = r"\d{2}-\d{2}-\d{2}|\d{2} \d{2} \d{2}|\d{6}"
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


def luhn_ok(text):
    digits = [int(c) for c in text if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class Detector:
    kind: str
    pattern: re.Pattern
    check: object = None
    # Only this named group is replaced (a label such as "date of birth:" stays).
    group: str | None = None

    @property
    def placeholder(self):
        return f"[{self.kind}]"


DETECTORS = [
    Detector("email", re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")),
    # A sort code with its account number, either way round, a few words apart.
    Detector(
        "bank-account",
        re.compile(
            rf"(?<![\d-])(?:{_SORT_CODE})(?![\d-])[^\d\n]{{0,30}}(?<!\d)\d{{8}}(?!\d)"
            rf"|(?<!\d)\d{{8}}(?!\d)[^\d\n]{{0,30}}(?<![\d-])(?:{_SORT_CODE})(?![\d-])"
        ),
    ),
    # 13-19 digits in groups of any size, kept only when the Luhn sum holds (card_spans).
    Detector("card", re.compile(r"(?<![\d-])\d+(?:[ -]\d+)*(?![\d-])")),
    # National Insurance number: two prefix letters (not D, F, I, U, V; second not O; Q is
    # not issued first but HMRC's own examples use QQ, so it is masked too;
    # not BG, GB, KN, NK, NT, TN, ZZ), six digits (spaced in pairs or not), suffix A-D.
    Detector(
        "ni-number",
        re.compile(
            r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NPQR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b",
            re.IGNORECASE,
        ),
    ),
    # A labelled date of birth: the label stays, the date goes.
    Detector(
        "dob",
        re.compile(
            r"(?:date[\s_-]?of[\s_-]?birth|dateofbirth|birth[\s_-]?date|\bd\.?o\.?b\b\.?|\bborn(?:\s+on)?)"
            # Quotes (JSON, escaped JSON inside a string), colons and spaces between.
            rf"[\s\\\"':=]{{0,8}}(?P<date>{_DATE})",
            re.IGNORECASE,
        ),
        group="date",
    ),
    # UK phone numbers: 0 or +44 / 0044 (optionally "(0)"), then 9 or 10 digits,
    # spaces, dashes and brackets allowed between them.
    Detector(
        "phone",
        re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0044\s?|\(?0)\d(?:[ -]?\)?[ -]?\d){8,9}(?![\d-])"),
    ),
    # UK postcodes: outward code (A9, A99, A9A, AA9, AA99, AA9A) and inward code (9AA).
    Detector(
        "postcode",
        re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE),
    ),
]
KINDS = [d.kind for d in DETECTORS]
PLACEHOLDERS = {d.placeholder for d in DETECTORS}


def _protected(text):
    """Spans never redacted: uuids."""
    return [m.span() for m in UUID.finditer(text)]


def _overlaps(span, spans):
    return any(span[0] < end and start < span[1] for start, end in spans)


def _card(run, replacement):
    """A run of digit groups with every card number in it replaced: the longest Luhn-valid
    stretch of whole groups, so "00000000 4000 0000 0000 6" still finds the card at its end."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", run)]
    out, i = [], 0
    done_to = 0
    while i < len(groups):
        found = None
        for j in range(len(groups) - 1, i - 1, -1):
            candidate = run[groups[i][0]:groups[j][1]]
            if 13 <= sum(c.isdigit() for c in candidate) <= 19 and luhn_ok(candidate):
                found = j
                break
        if found is None:
            i += 1
            continue
        out.append(run[done_to:groups[i][0]] + replacement("card"))
        done_to = groups[found][1]
        i = found + 1
    return "".join(out) + run[done_to:]


def replace(text, detector, replacement, keep=()):
    """Replace the detector's matches in `text` (not overlapping `keep`) with `replacement(kind)`."""
    def one(match):
        if detector.kind == "card":
            return match.group(0) if _overlaps(match.span(), keep) else _card(match.group(0), replacement)
        if _overlaps(match.span(), keep) or (detector.check and not detector.check(match.group(0))):
            return match.group(0)
        if detector.group:
            start, end = match.span(detector.group)
            whole = match.group(0)
            offset = match.start()
            return whole[: start - offset] + replacement(detector.kind) + whole[end - offset:]
        return replacement(detector.kind)

    return detector.pattern.sub(one, text)


# Masking repeats until nothing changes: a mask can join what a value kept apart (a sort
# code and an account number either side of a phone number). Then masking a masked
# text changes nothing, which is what makes fingerprints the same with or without
# redaction at rest.
_ROUNDS = 4


def mask(text, replacement=lambda kind: f"[{kind}]"):
    """`text` with every built-in detector's matches replaced."""
    if not text:
        return text
    for _ in range(_ROUNDS):
        before = text
        for detector in DETECTORS:
            # Recomputed each time: an earlier replacement shifts the uuids' positions.
            text = replace(text, detector, replacement, keep=_protected(text))
        if text == before:
            break
    return text


_PLACEHOLDER = re.compile(r"\[(" + "|".join(re.escape(k) for k in KINDS) + r")\]")


def fingerprint_mask(text):
    """For incident fingerprints: raw values and stored placeholders alike become "<kind>".

    So a message redacted at rest ("[phone]") and the same message unredacted
    ("07700 900123") normalise to one text, and one incident.
    """
    text = mask(text, lambda kind: f"<{kind}>")
    return _PLACEHOLDER.sub(lambda m: f"<{m.group(1)}>", text)
