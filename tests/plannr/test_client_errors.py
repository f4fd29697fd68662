"""How the Plannr client maps answers and failures: statuses, transport errors, rate-limit
bookkeeping, token hygiene."""


import email.utils
import logging
import pickle
import socket
import time
import uuid as uuid_lib
from urllib.parse import unquote

import pytest
import requests
import urllib3.exceptions

from plannr import InvalidPayload, NotFound, PlannrClient, PlannrError, PlannrTimeout, RateLimited, RequestTooLong, ServerError, TransportError, Unauthorized, UnexpectedStatus
from plannr.errors import DEFAULT_RETRY_AFTER, parse_retry_after

from .fakes import BASE, TOKEN, LIST_PATH, make_uuids, list_server, make_client, RecordingLimiter


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
