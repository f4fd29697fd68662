"""One exception per way a Plannr request can fail.

The poller maps each class to a poll state (not found, unauthorized, rate
limited...), so the classes, not the messages, carry the meaning. Messages are
for people and logs: they name the HTTP status, the path (never the query
string, which can hold 18 KB of UUIDs) and Plannr's own `message`, truncated.
They never hold the token or any header.
"""

import datetime as dt
import email.utils
import math
import time

MESSAGE_LIMIT = 200
DEFAULT_RETRY_AFTER = 60.0
# Plannr's limit window is a minute; a Retry-After of hours is a garbled header,
# not an instruction to stop polling for a day.
MAX_RETRY_AFTER = 3600.0


def _clip(text, limit=MESSAGE_LIMIT):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PlannrError(Exception):
    """Base class: `status_code` is the HTTP status, or None when there was no answer."""

    default_summary = "Plannr request failed"

    def __init__(self, summary=None, *, status_code=None, path="", api_message=""):
        self.summary = summary or self.default_summary
        self.status_code = status_code
        self.path = path or ""
        self.api_message = _clip(api_message) if api_message else ""
        super().__init__(self._render())

    def _render(self):
        # e.g. "Not found in Plannr (HTTP 404, /api/v1/automation-executions/…): No query results"
        where = [f"HTTP {self.status_code}"] if self.status_code is not None else []
        if self.path:
            where.append(self.path)
        text = self._headline() + (f" ({', '.join(where)})" if where else "")
        if self.api_message:
            text += f": {self.api_message}"
        return text

    def _headline(self):
        return self.summary

    def __str__(self):
        return self._render()

    def __repr__(self):
        return f"{type(self).__name__}({self._render()!r})"

    def __reduce__(self):
        # Celery pickles exceptions; keep the attributes, not only args.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls, state):
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    Exception.__init__(obj, obj._render())
    return obj


class NotFound(PlannrError):
    default_summary = "Not found in Plannr"


class Unauthorized(PlannrError):
    """401 or 403: the token is missing, expired, revoked or lacks the permission."""

    default_summary = "Plannr refused the API token"


class RateLimited(PlannrError):
    default_summary = "Plannr rate limit reached"

    def __init__(self, summary=None, *, retry_after=DEFAULT_RETRY_AFTER, **kwargs):
        self.retry_after = float(retry_after)
        super().__init__(summary, **kwargs)

    def _headline(self):
        return f"{self.summary}, retry after {self.retry_after:g}s"


class ServerError(PlannrError):
    default_summary = "Plannr server error"


class UnexpectedStatus(PlannrError):
    default_summary = "Unexpected answer from Plannr"


class TransportError(PlannrError):
    """No HTTP answer at all: DNS, refused connection, TLS, reset..."""

    default_summary = "Could not reach Plannr"


class PlannrTimeout(TransportError):
    default_summary = "Plannr did not answer in time"


class InvalidPayload(PlannrError):
    """The answer came but is not what the API promises (not JSON, wrong shape)."""

    default_summary = "Invalid response from Plannr"


class RequestTooLong(PlannrError):
    """414/431 even for a single UUID: the URL cannot be made any shorter."""

    default_summary = "Request refused as too long"


def parse_retry_after(value, *, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date).

    Absent or garbled values give DEFAULT_RETRY_AFTER; results are kept within
    [0, MAX_RETRY_AFTER].
    """
    if value is None:
        return DEFAULT_RETRY_AFTER
    text = str(value).strip()
    if not text:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return DEFAULT_RETRY_AFTER
        if when is None:
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            # RFC 9110 dates are GMT; a naive result means "-0000" was given.
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
