"""What the Plannr client sends: headers, batching, pagination, 414/431 splitting."""


import logging
import uuid as uuid_lib
from urllib.parse import parse_qs, urlsplit

import pytest

from plannr import InvalidPayload, PlannrExecution, RequestTooLong, UnexpectedStatus

from .fakes import BASE, TOKEN, LIST_PATH, make_uuids, execution_payload, list_server, make_client


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
