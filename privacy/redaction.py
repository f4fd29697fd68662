"""Redacting text and data: built-in detectors, custom rules, client names as initials.

    redact(text, names=())          a string
    redact_data(value, names=())    dicts and lists, recursively (keys kept); the values of
                                    NAME_KEYS become initials and are added to `names`
    redact_notification(n)          the outbound message model, before any sender renders it
                                    (channels/outbox.py: every topic, destination and kind)
    redact_at_rest(payload)         what ingest stores when REDACT_AT_REST is on

A client's name cannot be recognised in free text by its shape, so the names the
message is about (its executions' clients) are replaced wherever they appear.
"""

import dataclasses
import json
import re
from html import escape, unescape

from . import detectors
from .rules import compiled_rules

# Keys whose value is a client's name (webhook bodies, API responses, CSV headers).
NAME_KEYS = frozenset({"client", "client_name", "account_name"})
# Shorter names would match inside ordinary words.
MIN_NAME = 3


def initials(name):
    """"John Smith" -> "J. S."; "" stays ""."""
    parts = [p for p in re.split(r"[\s,]+", str(name or "").strip()) if p]
    letters = [next((c for c in p if c.isalnum()), "") for p in parts]
    return " ".join(f"{c.upper()}." for c in letters if c)


def _name_pattern(names):
    wanted = sorted({" ".join(str(n).split()) for n in names if n and len(str(n).strip()) >= MIN_NAME},
                    key=len, reverse=True)
    if not wanted:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in name.split()) for name in wanted)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _redactor(names=(), rules=None):
    """One function redacting a string: compiled once for a whole message or response.
    `rules`: the custom rules, when the caller already has them (compiled_rules())."""
    pattern = _name_pattern(names)
    custom = compiled_rules() if rules is None else rules

    def redact_one(text):
        if not isinstance(text, str) or not text:
            return text
        if pattern is not None:
            text = pattern.sub(lambda m: initials(m.group(0)), text)
        text = detectors.mask(text)
        for rule in custom:
            text = rule.apply(text)
        return text

    return redact_one


# Tags, and whole script/style elements, are kept as they are.
_MARKUP = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<[^>]*>)", re.IGNORECASE | re.DOTALL)


# Attributes that show text (tooltips, labels); the others are the product's own.
_TEXT_ATTRIBUTE = re.compile(r'(\s(?:title|aria-label|alt|placeholder)=")([^"]*)(")', re.IGNORECASE)


def redact_html(html, keep=(), redact_one=None):
    """HTML with its text redacted (as shown: &quot; is a quote); `keep`: values that stay
    (a user's own address). Pages (privacy/middleware.py) and the HTML of emails."""
    redact_one = redact_one or _redactor()
    keep = sorted({k for k in keep if k}, key=len, reverse=True)

    def text(escaped):
        # Detected on the text as shown (&quot; is a quote), written back escaped.
        plain = unescape(escaped)
        held = plain
        for i, value in enumerate(keep):
            held = held.replace(value, f"\x00{i}\x00")
        redacted = redact_one(held)
        if redacted == held:
            return escaped
        for i, value in enumerate(keep):
            redacted = redacted.replace(f"\x00{i}\x00", value)
        return escape(redacted)

    def markup(tag):
        if tag.startswith("<script") or tag.startswith("<style"):
            return tag
        return _TEXT_ATTRIBUTE.sub(lambda m: m.group(1) + text(m.group(2)) + m.group(3), tag)

    parts = _MARKUP.split(html)
    # split() with one group: even indexes are text, odd ones markup.
    return "".join(markup(part) if i % 2 else text(part) for i, part in enumerate(parts))



def redact(text, names=()):
    return _redactor(names)(text)


def names_in(value, found=None):
    """Every client name held under a NAME_KEYS key, anywhere in `value`."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            if key in NAME_KEYS and isinstance(item, str) and item:
                found.add(item)
            else:
                names_in(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            names_in(item, found)
    return found


def _walk(value, redact_one):
    if isinstance(value, str):
        return redact_one(value)
    if isinstance(value, dict):
        return {key: (initials(item) if key in NAME_KEYS and isinstance(item, str) else _walk(item, redact_one))
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(item, redact_one) for item in value]
    return value


def redact_data(value, names=()):
    names = set(names) | names_in(value)
    return _walk(value, _redactor(names))


def redact_notification(notification):
    """The message with its subject, texts and body redacted; names from its executions.

    Every channel kind, present and future, is sent a Notification: redacting it
    before the sender renders it covers them all.
    """
    names = names_in(notification.incident) | set(getattr(notification, "names", ()) or ())
    redact_one = _redactor(names)
    return dataclasses.replace(
        notification,
        subject=redact_one(notification.subject),
        text=redact_one(notification.text),
        html=redact_html(notification.html, redact_one=redact_one) if notification.html else notification.html,
        incident=_walk(notification.incident, redact_one) if notification.incident else notification.incident,
    )


def redact_at_rest(payload):
    """A Plannr execution payload as stored with REDACT_AT_REST.

    Built-in detectors only (the fingerprint masks exactly these, so grouping is the
    same either way: incidents/normaliser.py); the account's names become initials.
    Execution and step names are kept: they are the blueprint and step an incident
    is filed under, not a client's data.
    """
    def walk(value, key=None):
        if isinstance(value, str):
            if key == "name":
                return value
            if key == "info":
                return _json_text(value, walk)
            return detectors.mask(value)
        if isinstance(value, dict):
            return {k: (_account(v) if k == "account" else walk(v, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        return value

    def _account(account):
        if not isinstance(account, dict):
            return walk(account)
        return {k: (initials(v) if k in ACCOUNT_NAME_KEYS and isinstance(v, str) else walk(v, k))
                for k, v in account.items()}

    return walk(payload)


ACCOUNT_NAME_KEYS = frozenset({"name", "first_name", "last_name"})


def _json_text(text, walk):
    """A step's info: JSON is redacted value by value (the messages the fingerprint reads,
    not their escaped form), anything else as text."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return detectors.mask(text)
    if not isinstance(parsed, (dict, list)):
        return detectors.mask(text)
    return json.dumps(walk(parsed), ensure_ascii=False)
