"""/api/v1/exports/watchlist.csv: streamed, the user's rows only, safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

from tests.builders import watch

pytestmark = pytest.mark.django_db


def rows(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_watchlist_as_csv(client, owner, other_user):
    from accounts import roles

    from .conftest import ApiClient, bearer

    # Client names unredacted: a role and a token that may see personal data (privacy/).
    roles.assign_role(owner, roles.OPERATOR)
    owner_api = ApiClient(client, bearer(owner, personal_data=True))
    watch(
        owner,
        name="Welcome pack",
        account_name='=HYPERLINK("http://evil")',
        label="vip",
        status="failed",
        is_failing=True,
    )
    watch(owner, name="Review", status="completed")
    watch(other_user, name="Not yours")
    response = owner_api.get("exports/watchlist.csv", {"sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = rows(response)
    assert table[0][:3] == ["uuid", "name", "status"]
    assert [r[1] for r in table[1:]] == ["Review", "Welcome pack"]
    # A cell that a spreadsheet would run as a formula is kept as text.
    assert table[2][3] == '\'=HYPERLINK("http://evil")'
    assert rows(owner_api.get("exports/watchlist.csv", {"status": "failing"}))[1][1] == "Welcome pack"


def test_the_csv_needs_auth(client):
    response = client.get("/api/v1/exports/watchlist.csv")
    assert response.status_code == 401


def test_the_watchlist_csv_names_each_rows_connection_in_a_last_column(owner_api, owner):
    from tests.builders import make_connection

    watch(owner, name="On acme", connection=make_connection("acme"))
    watch(owner, name="On default")
    table = rows(owner_api.get("exports/watchlist.csv", {"sort": "name"}))
    assert table[0][-2:] == ["url", "connection"]
    assert [(r[1], r[-1]) for r in table[1:]] == [("On acme", "acme"), ("On default", "default")]
