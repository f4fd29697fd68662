"""Narrow unit tests of the Plannr client with `requests` faked at the adapter.

The behaviour against a real HTTP server is in test_plannr_client_http.py; here
each status, header and transport failure is produced exactly, to pin the mapping.
"""

import email.utils
import json
import logging
import pickle
import socket
import time
import uuid as uuid_lib
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from plannr import (
    InvalidPayload,
    NotFound,
    PlannrClient,
    PlannrError,
    PlannrExecution,
    PlannrTimeout,
    RateLimited,
    RequestTooLong,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedStatus,
)
from plannr.errors import DEFAULT_RETRY_AFTER, parse_retry_after

BASE = "https://plannr.test"
TOKEN = "tok-SECRET-4f1c2b9e8d7a6c5b"
LIST_PATH = "/api/v1/automation-executions"


def make_uuids(n):
    return [str(uuid_lib.UUID(int=i + 1)) for i in range(n)]


def execution_payload(uuid, status="in_progress"):
    return {
        "uuid": uuid,
        "name": "Welcome pack",
        "status": status,
        "triggered_by": "client.created",
        "created_at": "2026-06-08T16:08:03+01:00",
        "updated_at": "2026-06-08T16:08:03+01:00",
        "steps": [],
        "next_step": None,
        "previous_step": None,
    }


class FakeAdapter(BaseAdapter):
    """Answers each request with `handler(request)`: (status, body, headers) or an exception."""

    def __init__(self, handler):
        super().__init__()
        self.handler = handler
        self.requests = []
        self.kwargs = []

    def send(self, request, **kwargs):
        self.requests.append(request)
        self.kwargs.append(kwargs)
        outcome = self.handler(request)
        if isinstance(outcome, BaseException):
            raise outcome
        status, body, headers = (outcome + ({},))[:3] if len(outcome) == 2 else outcome
        response = requests.Response()
        response.status_code = status
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        response._content = body.encode() if isinstance(body, str) else body
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url
        response.request = request
        response.reason = "whatever"
        return response

    def close(self):
        pass

    # -- helpers for assertions --
    def queries(self):
        return [parse_qs(urlsplit(r.url).query) for r in self.requests]

    def paths(self):
        return [urlsplit(r.url).path for r in self.requests]


def list_server(known=None, *, max_uuids=None, too_long_status=414, per_page_cap=None, headers=None):
    """A handler mimicking the list endpoint: filter[uuid], per_page, page, 414 over max_uuids."""
    known = set(known) if known is not None else None

    def handler(request):
        query = parse_qs(urlsplit(request.url).query)
        wanted = query["filter[uuid]"][0].split(",")
        if max_uuids is not None and len(wanted) > max_uuids:
            return (too_long_status, "<html>URI Too Long</html>", {})
        per_page = int(query.get("per_page", ["15"])[0])
        if per_page_cap:
            per_page = min(per_page, per_page_cap)
        page = int(query.get("page", ["1"])[0])
        rows = [execution_payload(u) for u in wanted if known is None or u in known]
        last_page = max(1, -(-len(rows) // per_page))
        body = {
            "data": rows[(page - 1) * per_page : page * per_page],
            "links": {"next": "x" if page < last_page else None},
            "meta": {"current_page": page, "last_page": last_page, "per_page": per_page, "total": len(rows)},
        }
        return (200, body, dict(headers or {"X-Ratelimit-Remaining": "499", "X-Ratelimit-Limit": "500"}))

    return handler


def make_client(handler, **kwargs):
    adapter = FakeAdapter(handler)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    client = PlannrClient(BASE, kwargs.pop("token", TOKEN), session=session, **kwargs)
    return client, adapter


class RecordingLimiter:
    def __init__(self, fail_observe=False):
        self.calls = []
        self.fail_observe = fail_observe

    def acquire(self, fingerprint):
        self.calls.append(("acquire", fingerprint))

    def observe(self, fingerprint, *, remaining=None, limit=None, retry_after=None):
        self.calls.append(("observe", fingerprint, remaining, limit, retry_after))
        if self.fail_observe:
            raise ConnectionError("redis down")


# -- requests sent -------------------------------------------------------------------


def test_session_headers_timeouts_and_no_redirects():
    client, adapter = make_client(lambda r: (200, execution_payload(make_uuids(1)[0])),
                                  connect_timeout=1.5, read_timeout=7.0, user_agent="ua/1 (+http://x)")
    client.get_execution(make_uuids(1)[0])
    request = adapter.requests[0]
    assert request.method == "GET"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "ua/1 (+http://x)"
    assert adapter.kwargs[0]["timeout"] == (1.5, 7.0)
    assert client.request_count == 1


def test_default_user_agent():
    client, adapter = make_client(lambda r: (200, execution_payload(make_uuids(1)[0])))
    client.get_execution(make_uuids(1)[0])
    assert adapter.requests[0].headers["User-Agent"].startswith("plannr-execution-monitor/1.0")


def test_redirect_is_not_followed():
    client, adapter = make_client(lambda r: (302, "", {"Location": "https://elsewhere.test/steal"}))
    with pytest.raises(UnexpectedStatus) as caught:
        client.get_execution(make_uuids(1)[0])
    assert caught.value.status_code == 302
    assert len(adapter.requests) == 1


def test_get_execution_path_include_and_normalised_uuid():
    wanted = make_uuids(1)[0]
    client, adapter = make_client(lambda r: (200, execution_payload(wanted.upper())))
    result = client.get_execution(wanted.upper())
    assert isinstance(result, PlannrExecution)
    assert result.uuid == wanted
    assert adapter.paths() == [f"{LIST_PATH}/{wanted}"]
    assert adapter.queries() == [{"include": ["account"]}]
    client.get_execution(wanted, include_account=False)
    assert urlsplit(adapter.requests[1].url).query == ""


def test_get_execution_accepts_data_wrapper_and_rejects_another_uuid():
    a, b = make_uuids(2)
    client, _ = make_client(lambda r: (200, {"data": execution_payload(a)}))
    assert client.get_execution(a).uuid == a
    with pytest.raises(InvalidPayload) as caught:
        client.get_execution(b)
    assert LIST_PATH in str(caught.value)


def test_invalid_uuid_is_refused_before_any_request():
    client, adapter = make_client(lambda r: (200, {}))
    with pytest.raises(ValueError):
        client.get_execution("not-a-uuid")
    with pytest.raises(ValueError):
        client.get_payloads(["not-a-uuid"])
    with pytest.raises(TypeError):
        client.get_payloads(make_uuids(1)[0])
    assert adapter.requests == []


# -- batching ---------------------------------------------------------------------------


def test_batches_of_batch_size_one_request_each():
    uuids = make_uuids(450)
    client, adapter = make_client(list_server(), batch_size=200)
    result = client.get_payloads(uuids)
    assert set(result) == set(uuids)
    assert len(adapter.requests) == 3
    sizes = [len(q["filter[uuid]"][0].split(",")) for q in adapter.queries()]
    assert sizes == [200, 200, 50]
    assert [q["per_page"] for q in adapter.queries()] == [["200"], ["200"], ["50"]]
    assert all(q["include"] == ["account"] for q in adapter.queries())
    assert client.request_count == 3


def test_url_is_compact_commas_unescaped():
    uuids = make_uuids(3)
    client, adapter = make_client(list_server())
    client.get_payloads(uuids, include_account=False)
    # requests (urllib3) percent-encodes the brackets; the commas, 3 bytes each, stay as they are.
    assert adapter.requests[0].url == f"{BASE}{LIST_PATH}?filter%5Buuid%5D={','.join(uuids)}&per_page=3"


def test_request_line_for_200_uuids_fits_in_8_kb():
    client, adapter = make_client(list_server())
    client.get_payloads(make_uuids(200))
    path_and_query = adapter.requests[0].path_url
    assert len(f"GET {path_and_query} HTTP/1.1") < 8192


def test_duplicates_and_case_are_normalised():
    uuids = make_uuids(3)
    client, adapter = make_client(list_server())
    result = client.get_payloads([uuids[0], uuids[0].upper(), uuids[1], uuid_lib.UUID(uuids[2]), uuids[1]])
    assert list(result) == uuids
    assert adapter.queries()[0]["filter[uuid]"] == [",".join(uuids)]


def test_empty_input_sends_nothing():
    client, adapter = make_client(list_server())
    assert client.get_payloads([]) == {}
    assert adapter.requests == []


def test_absent_uuids_are_absent_and_unrequested_rows_ignored():
    uuids = make_uuids(4)
    stranger = str(uuid_lib.uuid4())

    def handler(request):
        return (200, {"data": [execution_payload(uuids[0]), execution_payload(stranger)], "meta": {}})

    client, _ = make_client(handler)
    assert list(client.get_payloads(uuids)) == [uuids[0]]


def test_unreadable_items_are_skipped_and_counted(caplog):
    uuids = make_uuids(2)

    def handler(request):
        return (200, {"data": [execution_payload(uuids[0]), {"uuid": "junk"}, "text", None]})

    client, _ = make_client(handler)
    with caplog.at_level(logging.WARNING, logger="plannr"):
        result = client.get_payloads(uuids)
    assert list(result) == [uuids[0]]
    assert any("Skipped 3 unreadable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "body",
    ["[]", '{"items": []}', '{"data": {}}', '"data"', "null"],
)
def test_body_that_is_not_the_envelope_is_invalid(body):
    client, _ = make_client(lambda r: (200, body))
    with pytest.raises(InvalidPayload) as caught:
        client.get_payloads(make_uuids(2))
    assert caught.value.path == LIST_PATH


def test_pagination_follows_meta():
    uuids = make_uuids(25)
    client, adapter = make_client(list_server(per_page_cap=10))
    result = client.get_payloads(uuids)
    assert set(result) == set(uuids)
    assert [q.get("page") for q in adapter.queries()] == [None, ["2"], ["3"]]
    # Every page repeats the same short filter, never Plannr's long links.next.
    assert all(q["filter[uuid]"] == [",".join(uuids)] for q in adapter.queries())


def test_pagination_follows_links_next_without_meta():
    uuids = make_uuids(2)

    def handler(request):
        page = parse_qs(urlsplit(request.url).query).get("page", ["1"])[0]
        if page == "1":
            return (200, {"data": [execution_payload(uuids[0])], "links": {"next": "https://x/?page=2"}})
        return (200, {"data": [execution_payload(uuids[1])], "links": {"next": None}})

    client, adapter = make_client(handler)
    assert set(client.get_payloads(uuids)) == set(uuids)
    assert len(adapter.requests) == 2


def test_pagination_stops_on_an_empty_page():
    def handler(request):
        return (200, {"data": [], "meta": {"current_page": 1, "last_page": 99}})

    client, adapter = make_client(handler)
    assert client.get_payloads(make_uuids(3)) == {}
    assert len(adapter.requests) == 1


# -- 414 / 431 splitting --------------------------------------------------------------


@pytest.mark.parametrize("status", [414, 431])
def test_too_long_splits_and_remembers_smaller_batch(status, caplog):
    uuids = make_uuids(450)
    client, adapter = make_client(list_server(max_uuids=120, too_long_status=status), batch_size=500)
    with caplog.at_level(logging.WARNING, logger="plannr"):
        result = client.get_payloads(uuids)
    assert set(result) == set(uuids)
    assert client.batch_size <= 120
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "batch size" in r.getMessage()]
    assert len(warnings) == 1
    assert str(client.batch_size) in warnings[0].getMessage()

    # The next call starts at the learned size: no refused request at all.
    before = len(adapter.requests)
    client.get_payloads(uuids)
    sizes = [len(q["filter[uuid]"][0].split(",")) for q in adapter.queries()[before:]]
    assert all(size <= 120 for size in sizes)
    assert len(sizes) == -(-450 // client.batch_size)


def test_too_long_for_a_single_uuid_raises():
    client, _ = make_client(list_server(max_uuids=0))
    with pytest.raises(RequestTooLong) as caught:
        client.get_payloads(make_uuids(4))
    assert caught.value.status_code == 414
    assert client.batch_size == 1


def test_too_long_on_single_execution_raises():
    client, _ = make_client(lambda r: (431, ""))
    with pytest.raises(RequestTooLong):
        client.get_execution(make_uuids(1)[0])


# -- status mapping -------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, exc_type",
    [
        (404, NotFound),
        (401, Unauthorized),
        (403, Unauthorized),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (400, UnexpectedStatus),
        (409, UnexpectedStatus),
        (418, UnexpectedStatus),
        (304, UnexpectedStatus),
        (100, UnexpectedStatus),
    ],
)
def test_status_mapping(status, exc_type):
    client, _ = make_client(lambda r: (status, {"message": f"Plannr says {status}"}))
    with pytest.raises(exc_type) as caught:
        client.get_payloads(make_uuids(3))
    error = caught.value
    assert isinstance(error, PlannrError)
    assert error.status_code == status
    text = str(error)
    assert f"HTTP {status}" in text
    assert LIST_PATH in text
    assert "filter" not in text and make_uuids(1)[0] not in text
    assert f"Plannr says {status}" in text


def test_unauthenticated_body_message():
    client, _ = make_client(lambda r: (401, {"message": "Unauthenticated."}))
    with pytest.raises(Unauthorized) as caught:
        client.get_execution(make_uuids(1)[0])
    assert "Unauthenticated." in str(caught.value)


def test_api_message_is_truncated_and_html_ignored():
    client, _ = make_client(lambda r: (500, {"message": "x" * 10_000}))
    with pytest.raises(ServerError) as caught:
        client.get_execution(make_uuids(1)[0])
    assert len(str(caught.value)) < 400
    client, _ = make_client(lambda r: (502, "<html><body>Bad gateway</body></html>"))
    with pytest.raises(ServerError) as caught:
        client.get_execution(make_uuids(1)[0])
    assert "html" not in str(caught.value)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("17", 17.0),
        ("2.5", 2.5),
        (None, DEFAULT_RETRY_AFTER),
        ("soon", DEFAULT_RETRY_AFTER),
        ("", DEFAULT_RETRY_AFTER),
        ("-5", 0.0),
        ("nan", DEFAULT_RETRY_AFTER),
        ("99999999", 3600.0),
    ],
)
def test_rate_limited_retry_after(header, expected):
    headers = {"Retry-After": header} if header is not None else {}
    client, _ = make_client(lambda r: (429, {"message": "Too Many Attempts."}, headers))
    with pytest.raises(RateLimited) as caught:
        client.get_execution(make_uuids(1)[0])
    assert caught.value.retry_after == pytest.approx(expected)
    assert "retry after" in str(caught.value)


def test_retry_after_http_date():
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30, abs=1)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
    assert parse_retry_after("Mon, 99 Foo 2026 99:99:99 GMT") == DEFAULT_RETRY_AFTER


def test_success_body_that_is_not_json():
    client, _ = make_client(lambda r: (200, "<html>maintenance</html>"))
    with pytest.raises(InvalidPayload) as caught:
        client.get_execution(make_uuids(1)[0])
    assert caught.value.status_code == 200


def test_execution_body_of_wrong_shape():
    client, _ = make_client(lambda r: (200, ["a"]))
    with pytest.raises(InvalidPayload):
        client.get_execution(make_uuids(1)[0])


# -- transport failures -----------------------------------------------------------------


@pytest.mark.parametrize(
    "exc, exc_type",
    [
        (requests.ConnectTimeout("connect timed out"), PlannrTimeout),
        (requests.ReadTimeout("read timed out"), PlannrTimeout),
        (requests.ConnectionError(urllib3.exceptions.ReadTimeoutError(None, "/x", "timed out")), PlannrTimeout),
        (requests.ConnectionError("Connection refused"), TransportError),
        # urllib3 files a refused connection under ConnectTimeoutError; it is not a timeout.
        (requests.ConnectionError(urllib3.exceptions.MaxRetryError(
            None, "/x", urllib3.exceptions.NewConnectionError(None, "refused"))), TransportError),
        (requests.exceptions.ChunkedEncodingError("broken"), TransportError),
        (requests.exceptions.SSLError("bad cert"), TransportError),
    ],
)
def test_transport_errors(exc, exc_type):
    client, _ = make_client(lambda r: exc)
    with pytest.raises(exc_type) as caught:
        client.get_payloads(make_uuids(2))
    assert type(caught.value) is exc_type
    assert caught.value.status_code is None
    assert caught.value.path == LIST_PATH
    assert isinstance(caught.value, TransportError)
    assert client.request_count == 1


# -- rate limit bookkeeping -------------------------------------------------------------


def test_ratelimit_headers_recorded_after_each_response():
    answers = iter([
        (200, {"data": []}, {"X-Ratelimit-Remaining": "42", "X-Ratelimit-Limit": "500"}),
        (404, {"message": "No query results"}, {"X-Ratelimit-Remaining": "41", "X-Ratelimit-Limit": "500"}),
        (200, {"data": []}, {"X-Ratelimit-Remaining": "lots"}),
    ])
    client, _ = make_client(lambda r: next(answers))
    assert client.ratelimit_remaining is None and client.ratelimit_limit is None
    client.get_payloads(make_uuids(1))
    assert (client.ratelimit_remaining, client.ratelimit_limit) == (42, 500)
    with pytest.raises(NotFound):
        client.get_execution(make_uuids(1)[0])
    assert client.ratelimit_remaining == 41
    client.get_payloads(make_uuids(1))
    assert (client.ratelimit_remaining, client.ratelimit_limit) == (None, None)


def test_rate_limiter_protocol():
    limiter = RecordingLimiter()
    answers = iter([
        (200, {"data": []}, {"X-Ratelimit-Remaining": "10", "X-Ratelimit-Limit": "500"}),
        (429, {"message": "slow down"},
         {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Limit": "500", "Retry-After": "12"}),
    ])
    client, _ = make_client(lambda r: next(answers), rate_limiter=limiter)
    fp = client.token_fingerprint
    client.get_payloads(make_uuids(1))
    with pytest.raises(RateLimited):
        client.get_payloads(make_uuids(1))
    assert limiter.calls == [
        ("acquire", fp),
        ("observe", fp, 10, 500, None),
        ("acquire", fp),
        ("observe", fp, 0, 500, 12.0),
    ]


def test_rate_limiter_not_observed_without_a_response_and_observe_failure_tolerated():
    limiter = RecordingLimiter(fail_observe=True)
    outcomes = iter([requests.ConnectionError("refused"), (200, {"data": []})])
    client, _ = make_client(lambda r: next(outcomes), rate_limiter=limiter)
    with pytest.raises(TransportError):
        client.get_payloads(make_uuids(1))
    assert [c[0] for c in limiter.calls] == ["acquire"]
    assert client.get_payloads(make_uuids(1)) == {}
    assert [c[0] for c in limiter.calls] == ["acquire", "acquire", "observe"]


def test_rate_limiter_acquire_precedes_each_split_request():
    limiter = RecordingLimiter()
    client, adapter = make_client(list_server(max_uuids=50), batch_size=200, rate_limiter=limiter)
    client.get_payloads(make_uuids(200))
    acquires = [c for c in limiter.calls if c[0] == "acquire"]
    assert len(acquires) == len(adapter.requests) == client.request_count


# -- token hygiene --------------------------------------------------------------------------


def test_missing_token_fails_without_a_request():
    client, adapter = make_client(lambda r: (200, {}), token="")
    with pytest.raises(Unauthorized) as caught:
        client.get_payloads(make_uuids(1))
    assert "PLANNR_API_TOKEN" in str(caught.value)
    assert adapter.requests == []


def test_fingerprint_and_repr_never_show_the_token():
    client, _ = make_client(lambda r: (200, {}))
    import hashlib

    assert client.token_fingerprint == hashlib.sha256(TOKEN.encode()).hexdigest()[:12]
    for text in (repr(client), str(client), f"{client}"):
        assert TOKEN not in text
        assert BASE in text and client.token_fingerprint in text


HYGIENE_OUTCOMES = [
    (404, {"message": f"no execution for token {TOKEN}"}),  # even a body echoing the token is clipped out
    (401, {"message": "Unauthenticated."}),
    (403, ""),
    (429, {}, {"Retry-After": "3"}),
    (500, {}),
    (418, {}),
    (200, "not json"),
    (200, {"nope": 1}),
    (414, ""),
    requests.ConnectionError(f"Bearer {TOKEN} refused"),
    requests.ReadTimeout(f"Authorization: Bearer {TOKEN}"),
]


def test_no_exception_or_log_line_holds_the_token(caplog):
    collected = []
    with caplog.at_level(logging.DEBUG):
        for outcome in HYGIENE_OUTCOMES:
            client, _ = make_client(lambda r, outcome=outcome: outcome, batch_size=1)
            calls = (lambda: client.get_payloads(make_uuids(2)), lambda: client.get_execution(make_uuids(1)[0]))
            for call in calls:
                with pytest.raises(PlannrError) as caught:
                    call()
                collected.append(caught.value)
    assert len(collected) == 2 * len(HYGIENE_OUTCOMES)
    kinds = {type(e) for e in collected}
    assert {NotFound, Unauthorized, RateLimited, ServerError, UnexpectedStatus, InvalidPayload,
            RequestTooLong, TransportError, PlannrTimeout} <= kinds
    for error in collected:
        for text in (str(error), repr(error), " ".join(map(str, error.args)), str(vars(error))):
            assert TOKEN not in text, type(error)
        assert "Authorization" not in str(error) and "Bearer" not in str(error)
        assert error.__cause__ is None
    assert caplog.records, "the client should have logged"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert "filter[uuid]" not in record.getMessage()


def test_debug_line_per_request(caplog):
    client, adapter = make_client(list_server(), batch_size=2)
    with caplog.at_level(logging.DEBUG, logger="plannr"):
        client.get_payloads(make_uuids(3))
    lines = [
        r.getMessage() for r in caplog.records if r.name == "plannr" and r.levelno == logging.DEBUG
    ]
    assert len(lines) == len(adapter.requests) == 2
    assert lines[0].startswith(f"GET {LIST_PATH} -> 200 in ")
    assert lines[0].endswith("(2 uuids)") and lines[1].endswith("(1 uuids)")


def test_exceptions_survive_pickling():
    error = RateLimited(retry_after=7, status_code=429, path="/x", api_message="slow")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is RateLimited
    assert (clone.retry_after, clone.status_code, clone.path, str(clone)) == (7.0, 429, "/x", str(error))
    plain = pickle.loads(pickle.dumps(NotFound(status_code=404, path="/y")))
    assert plain.status_code == 404 and str(plain) == "Not found in Plannr (HTTP 404, /y)"


# -- blueprints ---------------------------------------------------------------------------


def test_get_blueprint():
    bp = str(uuid_lib.uuid4())
    client, adapter = make_client(lambda r: (200, {"uuid": bp, "name": "Welcome", "steps": []}))
    assert client.get_blueprint(bp.upper())["name"] == "Welcome"
    assert adapter.paths() == [f"/api/v1/automation-blueprints/{bp}"]
    client, _ = make_client(lambda r: (200, {"data": {"uuid": bp, "name": "Wrapped"}}))
    assert client.get_blueprint(bp)["name"] == "Wrapped"
    client, _ = make_client(lambda r: (200, [1]))
    with pytest.raises(InvalidPayload):
        client.get_blueprint(bp)
    client, _ = make_client(lambda r: (404, {"message": "No query results"}))
    with pytest.raises(NotFound):
        client.get_blueprint(bp)


def test_refused_connection_is_a_transport_error_not_a_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port any more: the connection is refused at once.
    client = PlannrClient(f"http://127.0.0.1:{port}", TOKEN, connect_timeout=2, read_timeout=2)
    with pytest.raises(TransportError) as caught:
        client.get_payloads(make_uuids(1))
    assert type(caught.value) is TransportError
    assert "ConnectionError" in str(caught.value)


def test_base_url_must_be_http():
    with pytest.raises(ValueError):
        PlannrClient("ftp://x", TOKEN)
    with pytest.raises(ValueError):
        PlannrClient("", TOKEN)
    assert PlannrClient("https://x.test/", TOKEN).base_url == "https://x.test"


def test_unquoted_url_contains_every_uuid_once():
    uuids = make_uuids(10)
    client, adapter = make_client(list_server())
    client.get_payloads(uuids + uuids)
    sent = unquote(adapter.requests[0].url)
    assert all(sent.count(u) == 1 for u in uuids)
