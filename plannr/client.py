"""HTTP access to Plannr: one session per process, batching, 414 splitting, pagination.

The client sends each request once. Retrying and backing off belong to the
scheduler, which knows how long an execution can wait; the client's job is to
turn every outcome into a `PlannrExecution` or one of the exceptions in
`errors.py`, and to keep the shared rate budget informed (`rate_limiter`).

The token lives only in the session's Authorization header. Everything the
client shows (repr, logs, exception messages) names it by `token_fingerprint`.
"""

import json
import logging
import math
import time
from urllib.parse import urlsplit

import requests

from . import hooks

from .errors import (
    DEFAULT_RETRY_AFTER,
    InvalidPayload,
    NotFound,
    PlannrTimeout,
    RateLimited,
    RequestTooLong,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedStatus,
    parse_retry_after,
)
from .types import PlannrExecution, normalise_uuid
from .wire import decode, header_int, is_timeout, token_fingerprint

logger = logging.getLogger("plannr")

EXECUTIONS_PATH = "/api/v1/automation-executions"
LOGINS_PATH = "/api/v1/logins"
ACCOUNT_HEADER = "X-PLANNR-ACCOUNT-UUID"
BLUEPRINTS_PATH = "/api/v1/automation-blueprints"
USER_AGENT = "plannr-execution-monitor/1.0"
MAX_PER_PAGE = 500
TOO_LONG_STATUSES = (414, 431)
# Error bodies are read for Plannr's `message` only; a huge HTML page is not parsed.
MAX_ERROR_BODY = 64 * 1024


class _TooLong(Exception):
    """Internal: the server refused the request line; the caller may split."""

    def __init__(self, status_code, path):
        super().__init__(status_code)
        self.status_code = status_code
        self.path = path


class PlannrClient:
    def __init__(
        self,
        base_url,
        token,
        *,
        account_uuid=None,
        budget_key=None,
        batch_size=200,
        connect_timeout=5.0,
        read_timeout=30.0,
        rate_limiter=None,
        session=None,
        user_agent=None,
    ):
        base_url = (base_url or "").strip().rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Plannr base URL must be an absolute http(s) URL, got {base_url!r}")
        if int(batch_size) < 1:
            raise ValueError("batch_size must be at least 1")
        self.base_url = base_url
        self.token_fingerprint = token_fingerprint(token)
        # The shared rate budget is the Plannr user's: connections of one user pass the same key.
        self.budget_key = budget_key or self.token_fingerprint
        self._has_token = bool(token)
        self.batch_size = min(int(batch_size), MAX_PER_PAGE)
        self.timeout = (float(connect_timeout), float(read_timeout))
        self.rate_limiter = rate_limiter
        self.ratelimit_remaining = None
        self.ratelimit_limit = None
        self.request_count = 0
        self.session = session if session is not None else requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token or ''}",
                "Accept": "application/json",
                "User-Agent": user_agent or USER_AGENT,
            }
        )
        self.account_uuid = account_uuid
        if account_uuid:
            # Plannr's multi-tenancy: every request names the account it acts for.
            self.session.headers[ACCOUNT_HEADER] = str(account_uuid)

    def __repr__(self):
        return f"<PlannrClient base_url={self.base_url!r} token=sha256:{self.token_fingerprint}>"

    __str__ = __repr__

    def close(self):
        self.session.close()

    # -- public API ------------------------------------------------------------

    def get_execution(self, uuid, *, include_account=True, while_waiting=None):
        wanted = self._uuid(uuid)
        path = f"{EXECUTIONS_PATH}/{wanted}"
        query = "include=account" if include_account else ""
        try:
            body = self._get(path, query, uuid_count=1, while_waiting=while_waiting)
        except _TooLong as exc:
            raise RequestTooLong(status_code=exc.status_code, path=exc.path) from None
        if isinstance(body, dict) and "uuid" not in body and isinstance(body.get("data"), dict):
            body = body["data"]
        execution = self._parse(body, path)
        if execution.uuid != wanted:
            raise InvalidPayload("Plannr answered with another execution", path=path)
        return execution

    def get_payloads(self, uuids, *, include_account=True, while_waiting=None):
        """{uuid: the execution object as Plannr sent it}, each one checked to be readable.

        For the poller: most polls of a running execution find it unchanged, which a
        hash of the payload tells without building a `PlannrExecution` of it.
        `while_waiting` is called while a request waits for the shared rate budget.
        """
        wanted = self._uuids(uuids)
        found = {}
        start_size = self.batch_size
        for chunk in self._chunks(wanted):
            self._fetch_filtered(EXECUTIONS_PATH, chunk, include_account, found, while_waiting=while_waiting)
        self._warn_if_lowered(start_size)
        return found

    def get_logins(self):
        """The token's logins (`/api/v1/logins`): the decoded body, `data` checked to be a list."""
        try:
            body = self._get(LOGINS_PATH, "", uuid_count=0)
        except _TooLong as exc:
            raise RequestTooLong(status_code=exc.status_code, path=exc.path) from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise InvalidPayload("Expected the logins as a data array", path=LOGINS_PATH)
        return body

    def list_recent_payloads(self, count):
        """The `count` most recently created executions, as Plannr sent them (one page)."""
        query = f"sort=-created_at&per_page={max(1, min(int(count), MAX_PER_PAGE))}"
        try:
            body = self._get(EXECUTIONS_PATH, query, uuid_count=0)
        except _TooLong as exc:
            raise RequestTooLong(status_code=exc.status_code, path=exc.path) from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise InvalidPayload("Expected a paginated list with a data array", path=EXECUTIONS_PATH)
        return list(self._parse_items(body["data"], EXECUTIONS_PATH, wanted=None).values())

    def get_blueprint(self, uuid):
        path = f"{BLUEPRINTS_PATH}/{self._uuid(uuid)}"
        try:
            body = self._get(path, "", uuid_count=0)
        except _TooLong as exc:
            raise RequestTooLong(status_code=exc.status_code, path=exc.path) from None
        if isinstance(body, dict) and "uuid" not in body and isinstance(body.get("data"), dict):
            body = body["data"]
        if not isinstance(body, dict):
            raise InvalidPayload("Blueprint is not an object", path=path)
        return body

    def list_page(self, path, query):
        """One page of an index endpoint (discovery walks pages itself): the decoded body.

        `query` is the query string as sent. Raises RequestTooLong when the server
        refuses the request line, so the caller can split its filter.
        """
        try:
            body = self._get(path, query, uuid_count=0)
        except _TooLong as exc:
            raise RequestTooLong(status_code=exc.status_code, path=exc.path) from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise InvalidPayload("Expected a paginated list with a data array", path=path)
        return body

    # -- batching ----------------------------------------------------------------

    def _chunks(self, wanted):
        # batch_size may drop while we iterate (a 414 in an earlier chunk).
        index = 0
        while index < len(wanted):
            size = self.batch_size
            yield wanted[index : index + size]
            index += size

    def _fetch_filtered(self, path, chunk, include_account, found, while_waiting=None):
        query = f"filter[uuid]={','.join(chunk)}&per_page={len(chunk)}"
        if include_account:
            query += "&include=account"
        try:
            items = self._paginate(path, query, uuid_count=len(chunk), while_waiting=while_waiting)
        except _TooLong as exc:
            if len(chunk) == 1:
                raise RequestTooLong(
                    "Request refused as too long even for one UUID",
                    status_code=exc.status_code,
                    path=exc.path,
                ) from None
            half = math.ceil(len(chunk) / 2)
            self.batch_size = min(self.batch_size, half)
            self._fetch_filtered(path, chunk[:half], include_account, found, while_waiting)
            self._fetch_filtered(path, chunk[half:], include_account, found, while_waiting)
            return
        found.update(self._parse_items(items, path, wanted=set(chunk)))

    def _warn_if_lowered(self, start_size):
        if self.batch_size < start_size:
            logger.warning(
                "Plannr refused a request line as too long: batch size lowered from %d to %d UUIDs",
                start_size,
                self.batch_size,
            )

    def _paginate(self, path, query, *, uuid_count, while_waiting=None):
        """Every item of a paginated index; pages after the first keep the same short query."""
        items = []
        page = 1
        while True:
            page_query = query if page == 1 else f"{query}&page={page}"
            body = self._get(path, page_query, uuid_count=uuid_count, while_waiting=while_waiting)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise InvalidPayload("Expected a paginated list with a data array", path=path)
            items.extend(body["data"])
            if not body["data"] or not self._has_next(body, page):
                return items
            page += 1

    @staticmethod
    def _has_next(body, page):
        meta = body.get("meta")
        if isinstance(meta, dict):
            current = header_int(meta.get("current_page"))
            last = header_int(meta.get("last_page"))
            if current is not None and last is not None:
                return last > current
        links = body.get("links")
        return isinstance(links, dict) and bool(links.get("next"))

    has_next_page = _has_next

    def _parse_items(self, items, path, *, wanted):
        """{uuid: payload}; items without a readable uuid are skipped (the poller parses the rest)."""
        found = {}
        skipped = 0
        for item in items:
            # The same test from_payload applies first: an object with a valid uuid.
            execution_uuid = normalise_uuid(item.get("uuid")) if isinstance(item, dict) else None
            if execution_uuid is None:
                skipped += 1
                continue
            if wanted is None or execution_uuid in wanted:
                found[execution_uuid] = item
        if skipped:
            logger.warning("Skipped %d unreadable execution(s) in a Plannr answer from %s", skipped, path)
        return found

    @staticmethod
    def _parse(body, path):
        try:
            return PlannrExecution.from_payload(body)
        except InvalidPayload as exc:
            raise InvalidPayload(exc.summary, path=path) from None

    @staticmethod
    def _uuid(value):
        normalised = normalise_uuid(value)
        if normalised is None:
            raise ValueError("not a valid UUID")
        return normalised

    @classmethod
    def _uuids(cls, values):
        if isinstance(values, (str, bytes)):
            raise TypeError("uuids must be an iterable of UUIDs, not a single string")
        seen = {}
        for value in values:
            seen.setdefault(cls._uuid(value), None)
        return list(seen)

    # -- one HTTP request ---------------------------------------------------------

    def _get(self, path, query, *, uuid_count, while_waiting=None):
        """The decoded JSON body of a 2xx answer; raises the mapped error otherwise."""
        if not self._has_token:
            raise Unauthorized("No Plannr API token is configured (PLANNR_API_TOKEN)", path=path)
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        if self.rate_limiter is not None:
            if while_waiting is None:
                self.rate_limiter.acquire(self.budget_key)
            else:
                self.rate_limiter.acquire(self.budget_key, while_waiting=while_waiting)
        self.request_count += 1
        started = time.monotonic()
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            elapsed = (time.monotonic() - started) * 1000
            kind = type(exc).__name__
            logger.debug("GET %s failed after %.0f ms (%s, %d uuids)", path, elapsed, kind, uuid_count)
            if is_timeout(exc):
                raise PlannrTimeout(path=path, api_message=kind) from None
            raise TransportError(path=path, api_message=kind) from None
        elapsed = (time.monotonic() - started) * 1000
        status = response.status_code
        logger.debug("GET %s -> %d in %.0f ms (%d uuids)", path, status, elapsed, uuid_count)
        retry_after = None
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        self._observe(response, retry_after)
        hooks.notify_response(path, status, self.ratelimit_remaining, self.ratelimit_limit)
        if 200 <= status < 300:
            try:
                return decode(response.content)
            except (ValueError, RecursionError):
                raise InvalidPayload(
                    "Plannr answered with a body that is not JSON", status_code=status, path=path
                ) from None
        if status in TOO_LONG_STATUSES:
            raise _TooLong(status, path)
        message = self._scrub(self._api_message(response))
        if status == 404:
            raise NotFound(status_code=status, path=path, api_message=message)
        if status in (401, 403):
            raise Unauthorized(status_code=status, path=path, api_message=message)
        if status == 429:
            raise RateLimited(
                retry_after=retry_after if retry_after is not None else DEFAULT_RETRY_AFTER,
                status_code=status,
                path=path,
                api_message=message,
            )
        if 500 <= status < 600:
            raise ServerError(status_code=status, path=path, api_message=message)
        raise UnexpectedStatus(status_code=status, path=path, api_message=message)

    def _observe(self, response, retry_after):
        self.ratelimit_remaining = header_int(response.headers.get("X-Ratelimit-Remaining"))
        self.ratelimit_limit = header_int(response.headers.get("X-Ratelimit-Limit"))
        if self.rate_limiter is None:
            return
        try:
            self.rate_limiter.observe(
                self.budget_key,
                remaining=self.ratelimit_remaining,
                limit=self.ratelimit_limit,
                retry_after=retry_after,
            )
        except Exception as exc:
            # The answer is already here: losing it because the budget store is down helps nobody.
            logger.warning("Rate limiter could not record a response: %s", type(exc).__name__)

    def _scrub(self, text):
        """Plannr's message may echo what it was sent; the token is cut out of it."""
        token = self.session.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return text.replace(token, "[redacted]") if token and text else text

    @staticmethod
    def _api_message(response):
        content = response.content or b""
        if len(content) > MAX_ERROR_BODY:
            return ""
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            return ""
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return body["message"]
        return ""
