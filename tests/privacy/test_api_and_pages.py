"""API answers, CSV exports and pages: client data redacted unless the caller may see it.

The API: a token without the personal-data scope (or whose owner's role may not see
personal data) gets redacted JSON and CSV; an Operator's personal-data token gets it
whole. Pages: a Viewer sees it redacted, an Operator whole.
"""

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings

from accounts import roles
from privacy.redaction import initials
from tests.builders import add_step, make_execution, watch

from . import strategies
from .outbound import assert_absent

pytestmark = pytest.mark.django_db
CLIENT = "Siobhan O'Connell-Byrne"
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def bearer(user, personal_data=False):
    from api import tokens

    _, raw = tokens.create_token(user, "test", "read", personal_data=personal_data)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _watched(user, text):
    execution = make_execution(client=CLIENT, failure_message=f"Send SMS: {text}", is_failing=True)
    add_step(execution, "Send SMS", "failed", info=json.dumps({"errors": [text]}), messages=(text,))
    watch(user, execution)
    return execution


def _texts(client, headers, execution):
    answers = [
        client.get(f"/api/v1/executions/{execution.uuid}", **headers),
        client.get("/api/v1/executions", **headers),
        client.get("/api/v1/exports/watchlist.csv", **headers),
    ]
    assert all(a.status_code == 200 for a in answers), [a.status_code for a in answers]
    return [a.content.decode() if not a.streaming else b"".join(a.streaming_content).decode() for a in answers]


@hsettings(max_examples=6, deadline=None, suppress_health_check=HEALTH)
@given(case=strategies.personal_texts())
def test_api_answers_and_csv_exports_are_redacted_without_the_personal_data_scope(client, operator, case):
    text, values = case
    execution = _watched(operator, text)
    texts = _texts(client, bearer(operator), execution)
    assert_absent(texts, [*values, CLIENT, "Siobhan"], "the API without the personal-data scope")
    assert initials(CLIENT) in texts[0] and initials(CLIENT) in texts[2]
    # The uuids, the product's own ids, are untouched.
    assert str(execution.uuid) in texts[0] and str(execution.uuid) in texts[2]


def test_a_personal_data_token_of_a_role_that_may_see_it_gets_everything(client, operator, owner):
    text = "SMS to 07700 900123 failed for jane@example.co.uk"
    execution = _watched(operator, text)
    whole = _texts(client, bearer(operator, personal_data=True), execution)
    assert all("07700 900123" in t and "jane@example.co.uk" in t for t in whole)
    csv_rows = list(csv.reader(io.StringIO(whole[2].lstrip("\ufeff"))))
    assert csv_rows[1][csv_rows[0].index("client")] == CLIENT
    # A Viewer's personal-data token does not lift the redaction: the role decides too.
    viewed = _watched(owner, text)
    redacted = _texts(client, bearer(owner, personal_data=True), viewed)
    assert_absent(redacted, ["07700 900123", "jane@example.co.uk", CLIENT], "a Viewer's token")


def test_the_api_token_command_and_page_add_the_personal_data_scope(client, operator):
    from django.core.management import call_command

    from api.models import ApiToken

    out = io.StringIO()
    call_command("api_token", "--user", "operator", "--personal-data", stdout=out, stderr=io.StringIO())
    assert ApiToken.objects.get().personal_data
    client.force_login(operator)
    page = client.post("/api-tokens/", {"name": "export", "scope": "read", "personal_data": "on"})
    assert page.status_code == 201 and "personal-data" in page.content.decode()
    assert ApiToken.objects.filter(name="export", personal_data=True).exists()


@hsettings(max_examples=6, deadline=None, suppress_health_check=HEALTH)
@given(case=strategies.personal_texts())
def test_pages_show_a_viewer_redacted_text_and_an_operator_the_whole(client, owner, operator, case):
    text, values = case
    execution = _watched(owner, text)
    watch(operator, execution)
    client.force_login(owner)
    assert roles.role_of(owner) == roles.VIEWER
    viewer_pages = [client.get(f"/executions/{execution.uuid}/").content.decode(),
                    client.get("/").content.decode()]
    assert_absent(viewer_pages, values, "a Viewer's pages")
    client.force_login(operator)
    page = client.get(f"/executions/{execution.uuid}/").content.decode()
    assert values[0] in page or values[0].replace("'", "&#x27;") in page


def test_operators_and_admins_have_view_personal_data_and_viewers_do_not(owner, operator, admin):
    assert not owner.has_perm("accounts.view_personal_data")
    assert operator.has_perm("accounts.view_personal_data") and admin.has_perm("accounts.view_personal_data")
