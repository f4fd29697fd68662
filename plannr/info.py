"""A lenient reader for a step's `info`, which Plannr fills with whatever it likes.

Plannr's own documentation shows `info` as a quoted, half-JSON string:
`"[{errors : "the account_uuid field is required" }]"`, on a step whose status
is `completed`. So `info` is read as data of unknown shape, in this order:

1. JSON, decoded repeatedly while it decodes to another string (double encoding).
   Structures are searched for `errors`/`error` (strings, lists of strings,
   Laravel's `{"field": ["message", ...]}`, objects with a `message`) and for
   `message`/`messages`/`msg`/`detail`. A `message` counts as an error when its
   object says so (`success: false`, `status: "failed"`, a code >= 400, `error: true`)
   or when its text passes the plain-text test below, unless the object also has
   explicit `errors` (Laravel's "The given data was invalid." stays a message).
2. The docs' quirky form: outer quotes stripped, then `key : value` pairs found by
   pattern, with keys `error(s)`/`message(s)`/`msg`/`detail` and values quoted
   with either quote, bracketed lists of quoted strings, or bare words.
3. Plain text: the whole text is one message. It is an error only when it
   clearly reports a failure: it contains one of the words error(s), fail/failed/
   failure/failing, exception, traceback, rejected, refused, denied, unavailable,
   undeliverable, bounced, invalid, aborted, forbidden, unauthorised, a CamelCase
   class name ending in Error or Exception (NullPointerException, TypeError), the
   phrases "unable to", "could not", "couldn't", "timed out", "is required",
   "bad gateway", "bad request", "gateway timeout", "not found/configured/assigned/
   allowed/permitted/authorised", "no <thing> assigned/configured/found", or an SMTP
   enhanced status code such as "550 5.1.1". A word preceded by "no", "0", "zero",
   "without" or "never" ("no errors", "0 failures") does not count. Anything else ("SMS queued",
   "Email sent", "Execution paused: client account is inactive") is a message, not
   an error: a false alarm on every healthy step would bury the real ones.

Every message is stripped, whitespace-collapsed, cut at MESSAGE_LIMIT characters
and de-duplicated; at most MAX_MESSAGES are kept. Text is returned as given, HTML
included: escaping is the templates' job. `parse_info` never raises.
"""

import json
import logging
import re
from dataclasses import dataclass

logger = logging.getLogger("plannr")

MESSAGE_LIMIT = 1000
MAX_MESSAGES = 20
# Only this much of a huge info is analysed; `raw` always keeps all of it.
MAX_ANALYSED = 200_000
MAX_DEPTH = 20
MAX_DECODES = 5

ERROR_KEYS = ("errors", "error", "error_message", "error_messages", "exception")
MESSAGE_KEYS = ("message", "messages", "msg", "detail", "details", "description", "reason", "title")
FAILURE_STATES = {"error", "errors", "errored", "fail", "failed", "failure", "exception"}
CODE_KEYS = ("code", "status_code", "status", "http_status")

_FAILURE_TEXT = re.compile(
    r"(?P<neg>\b(?:no|0|zero|without|never)\s+)?"
    r"(?P<word>\berrors?\b|(?-i:\b[A-Za-z]+(?:Error|Exception)s?\b)"
    r"|\bfail(?:s|ed|ure|ures|ing)?\b|\bexceptions?\b|\btraceback\b"
    r"|\brejected\b|\brefused\b|\bdenied\b|\bunavailable\b|\bundeliverable\b|\bbounced\b"
    r"|\binvalid\b|\bunable to\b|\bcould not\b|\bcouldn't\b|\btimed out\b|\bis required\b|\baborted\b"
    r"|\bbad (?:gateway|request)\b|\bgateway time-?out\b|\bforbidden\b|\bunauthori[sz]ed\b"
    r"|\bnot (?:found|configured|assigned|allowed|permitted|authori[sz]ed)\b"
    r"|\bno \w+ (?:assigned|configured|found)\b"
    r"|\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b)",
    re.IGNORECASE,
)

# Possessive quantifiers throughout: a text of many unclosed items must fail in
# linear time, not backtrack through every way of splitting its whitespace.
_QUOTED = r""""(?:[^"\\]|\\.)*+"|'(?:[^'\\]|\\.)*+'"""
_QUIRKY_PAIR = re.compile(
    r"""(?<![\w])["']?+\s*+(?P<key>errors?|error_messages?|messages?|msg|detail|reason)\s*+["']?+\s*+:\s*+"""
    r"(?P<value>" + _QUOTED + r"|\[(?:\s*+(?:" + _QUOTED + r")\s*+,?+)*+\s*+\]|[^,}\]\[{]++)",
    re.IGNORECASE,
)
_QUOTED_ITEM = re.compile(_QUOTED)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class InfoReport:
    raw: str
    messages: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def has_errors(self):
        return bool(self.errors)


def looks_like_failure(text):
    """The plain-text test described in the module docstring."""
    for match in _FAILURE_TEXT.finditer(text or ""):
        if not match.group("neg"):
            return True
    return False


def parse_info(raw):
    """Read `info` (any value) into an InfoReport. Never raises."""
    text = _raw_text(raw)
    try:
        collector = _Collector()
        if isinstance(raw, str):
            collector.text(raw[:MAX_ANALYSED], 0)
        elif raw is not None and not isinstance(raw, (bytes, bytearray)):
            collector.value(raw, 0)
        else:
            collector.text(text[:MAX_ANALYSED], 0)
        return collector.report(text)
    except Exception:  # pragma: no cover - a strange info must never break a poll or a page
        logger.warning("could not parse a step's info (%d chars); kept raw", len(text))
        message = _clean(text)
        return InfoReport(raw=text, messages=(message,) if message else (), errors=())


def _raw_text(raw):
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw).decode("utf-8", errors="replace")
    try:
        return json.dumps(raw, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        try:
            return repr(raw)
        except Exception:
            return ""


def _clean(text):
    text = _SPACE.sub(" ", str(text)).strip()
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    return text


def _strip_outer_quotes(text):
    start, end = 0, len(text)
    while end - start >= 2 and text[start] == text[end - 1] and text[start] in "\"'":
        start, end = start + 1, end - 1
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
    return text[start:end]


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
            if isinstance(decoded, str):
                return decoded
        except ValueError:
            pass
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return re.sub(r"\\(.)", r"\1", inner)
    return value


class _Collector:
    def __init__(self):
        self.errors = []
        self.messages = []

    def report(self, raw):
        errors = _dedupe(self.errors)
        messages = _dedupe(errors + _dedupe(self.messages))
        return InfoReport(raw=raw, messages=tuple(messages), errors=tuple(errors))

    def add(self, text, *, error=None):
        """Add one message; `error=None` means: decide from the text itself."""
        message = _clean(text)
        if not message:
            return
        if error is None:
            error = looks_like_failure(message)
        (self.errors if error else self.messages).append(message)

    # -- text --------------------------------------------------------------

    def text(self, text, depth):
        stripped = text.strip()
        if not stripped or depth > MAX_DEPTH:
            return
        decoded, ok = _decode_json(stripped)
        if ok:
            if isinstance(decoded, str):
                self.text(decoded, depth + 1)
            else:
                self.value(decoded, depth + 1)
            return
        unquoted = _strip_outer_quotes(stripped)
        if unquoted != stripped:
            self.text(unquoted, depth + 1)
            return
        if unquoted[:1] in "[{" and self.quirky(unquoted):
            return
        self.add(unquoted)

    def quirky(self, text):
        found = False
        for match in _QUIRKY_PAIR.finditer(text):
            key = match.group("key").lower()
            value = match.group("value").strip()
            if value.startswith("["):
                items = [_unquote(item) for item in _QUOTED_ITEM.findall(value)]
            else:
                items = [_unquote(value)]
            is_error = True if key.startswith("error") else None
            for item in items:
                if _clean(item):
                    found = True
                    self.add(item, error=is_error)
        return found

    # -- decoded structures ---------------------------------------------------

    def value(self, value, depth):
        if depth > MAX_DEPTH or self.full():
            return
        if isinstance(value, str):
            self.text(value, depth + 1)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, (int, float)):
            self.add(str(value), error=False)
        elif isinstance(value, dict):
            self.mapping(value, depth)
        elif isinstance(value, (list, tuple)):
            for item in value[: MAX_MESSAGES * 2]:
                self.value(item, depth + 1)

    def mapping(self, data, depth):
        explicit = [data[k] for k in data if isinstance(k, str) and k.lower() in ERROR_KEYS]
        has_errors = False
        for item in explicit:
            for text in _leaves(item, depth + 1):
                has_errors = True
                self.add(text, error=True)
        failing = has_errors or _says_failure(data)
        for key in data:
            if not isinstance(key, str) or key.lower() not in MESSAGE_KEYS:
                continue
            for text in _leaves(data[key], depth + 1):
                if has_errors:
                    self.add(text, error=False)
                elif failing:
                    self.add(text, error=True)
                else:
                    self.add(text)
        # Containers of results (e.g. {"data": [{"error": ...}]}) are searched too.
        for key, item in data.items():
            if isinstance(key, str) and key.lower() in ERROR_KEYS + MESSAGE_KEYS:
                continue
            if isinstance(item, (dict, list)):
                self.nested(item, depth + 1)

    def nested(self, value, depth):
        """Inside an unknown container only recognised keys count, not every string."""
        if depth > MAX_DEPTH or self.full():
            return
        if isinstance(value, dict):
            self.mapping(value, depth)
        elif isinstance(value, list):
            for item in value[: MAX_MESSAGES * 2]:
                if isinstance(item, (dict, list)):
                    self.nested(item, depth + 1)

    def full(self):
        return len(self.errors) + len(self.messages) >= MAX_MESSAGES * 4


def _decode_json(text):
    if text[:1] not in '[{"' and text not in ("null", "true", "false") and not _looks_numeric(text):
        return None, False
    try:
        return json.loads(text), True
    except (ValueError, RecursionError):
        return None, False


def _looks_numeric(text):
    return bool(re.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", text))


def _says_failure(data):
    for key in ("success", "ok", "successful", "succeeded"):
        if data.get(key) is False:
            return True
    if any(data.get(key) is True for key in ("error", "failed", "failure")):
        return True
    for key in ("status", "state", "result", "outcome"):
        state = data.get(key)
        if isinstance(state, str) and state.strip().lower() in FAILURE_STATES:
            return True
    for key in CODE_KEYS:
        code = data.get(key)
        if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
            return True
        if isinstance(code, str) and code.strip().isdigit() and 400 <= int(code.strip()) <= 599:
            return True
    return False


def _leaves(value, depth, _count=None):
    """The human strings in an errors/message value, at most a bounded number."""
    out = [] if _count is None else _count
    if depth > MAX_DEPTH or len(out) >= MAX_MESSAGES * 2:
        return out
    if isinstance(value, str):
        decoded, ok = _decode_json(value.strip())
        if ok and isinstance(decoded, (dict, list)):
            _leaves(decoded, depth + 1, out)
        elif value.strip():
            out.append(value)
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, (int, float)):
        out.append(str(value))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _leaves(item, depth + 1, out)
    elif isinstance(value, dict):
        preferred = [k for k in value if isinstance(k, str) and k.lower() in MESSAGE_KEYS + ERROR_KEYS]
        for key in preferred or list(value):
            if not preferred and isinstance(key, str) and key.lower() in ("code", "status", "field"):
                continue
            _leaves(value[key], depth + 1, out)
    return out


def _dedupe(items):
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
        if len(out) >= MAX_MESSAGES:
            break
    return out
