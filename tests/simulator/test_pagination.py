"""The list endpoint's Laravel envelope: data, links and meta across pages."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.simulator.helpers import EXECUTIONS, api_get


def page_number(link):
    return int(parse_qs(urlsplit(link).query)["page"][0])


def test_pages_cover_every_execution_once_with_correct_meta_and_links(simulator):
    made = {simulator.create_execution(name=f"Blueprint {i % 4}")["uuid"] for i in range(23)}
    seen = []
    for page in (1, 2, 3):
        response = api_get(simulator, EXECUTIONS, {"per_page": 10, "page": page})
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert list(body) == ["data", "links", "meta"]
        meta, links = body["meta"], body["links"]
        assert list(meta) == ["current_page", "from", "last_page", "path", "per_page", "to", "total"]
        assert meta["current_page"] == page
        assert meta["total"] == 23 and meta["last_page"] == 3 and meta["per_page"] == 10
        assert meta["from"] == (page - 1) * 10 + 1
        assert meta["to"] == min(page * 10, 23)
        assert len(body["data"]) == meta["to"] - meta["from"] + 1
        assert meta["path"] == simulator.url + EXECUTIONS
        assert page_number(links["first"]) == 1 and page_number(links["last"]) == 3
        assert links["first"].startswith(simulator.url + EXECUTIONS + "?")
        assert parse_qs(urlsplit(links["first"]).query)["per_page"] == ["10"]  # the query is kept
        assert (links["prev"] and page_number(links["prev"])) == (page - 1 if page > 1 else None)
        assert (links["next"] and page_number(links["next"])) == (page + 1 if page < 3 else None)
        seen += [item["uuid"] for item in body["data"]]
    assert len(seen) == 23 and set(seen) == made


def test_default_sort_is_name_with_ties_broken_by_uuid_and_default_page_size_15(simulator):
    for i in range(20):
        simulator.create_execution(name=f"Blueprint {i % 3}")
    body = api_get(simulator, EXECUTIONS).json()
    assert body["meta"]["per_page"] == 15 and len(body["data"]) == 15
    second = api_get(simulator, EXECUTIONS, {"page": 2}).json()["data"]
    keys = [(item["name"], item["uuid"]) for item in body["data"] + second]
    assert keys == sorted(keys)


def test_sort_by_created_at_both_ways(simulator):
    clock = [1_780_000_000.0]
    simulator.world.clock = lambda: clock[0]
    for _ in range(5):
        simulator.create_execution()
        clock[0] += 60
    ascending = api_get(simulator, EXECUTIONS, {"sort": "created_at"}).json()["data"]
    descending = api_get(simulator, EXECUTIONS, {"sort": "-created_at"}).json()["data"]
    stamps = [item["created_at"] for item in ascending]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5
    assert [item["uuid"] for item in descending] == [item["uuid"] for item in reversed(ascending)]


def test_empty_result_has_null_from_and_to(simulator):
    body = api_get(simulator, EXECUTIONS, {"filter[uuid]": "0b874d30-697f-43da-aec5-264081cfc5ac"}).json()
    assert body["data"] == []
    assert body["meta"]["total"] == 0 and body["meta"]["last_page"] == 1
    assert body["meta"]["from"] is None and body["meta"]["to"] is None
    assert body["links"]["next"] is None and body["links"]["prev"] is None


def test_page_past_the_end_is_empty_but_links_back(simulator):
    simulator.create_many(3)
    body = api_get(simulator, EXECUTIONS, {"page": 5}).json()
    assert body["data"] == [] and body["meta"]["current_page"] == 5
    assert page_number(body["links"]["prev"]) == 4 and body["links"]["next"] is None


@pytest.mark.parametrize(
    "value, message",
    [
        ("501", "The per page field must not be greater than 500."),
        ("0", "The per page field must be at least 1."),
        ("many", "The per page field must be an integer."),
    ],
)
def test_bad_per_page_is_a_laravel_validation_error(simulator, value, message):
    response = api_get(simulator, EXECUTIONS, {"per_page": value})
    assert response.status_code == 422
    assert response.json() == {"message": message, "errors": {"per_page": [message]}}


def test_per_page_500_is_allowed(simulator):
    simulator.create_many(501)
    body = api_get(simulator, EXECUTIONS, {"per_page": 500}).json()
    assert len(body["data"]) == 500 and body["meta"]["last_page"] == 2
