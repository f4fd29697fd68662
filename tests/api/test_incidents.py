"""/api/v1/incidents: the incidents the user may see, their affected executions, and triage."""

import csv
import io

import pytest

from executions.models import Watch
from incidents.models import Incident, Status, StatusChange
from tests.incidents.test_grouping import failing

from .conftest import ApiClient, bearer

pytestmark = pytest.mark.django_db


def watched_incident(user, **kwargs):
    """An incident on a failing execution `user` watches, and that execution."""
    execution = failing(**kwargs)
    Watch.objects.create(user=user, execution=execution)
    return Incident.objects.get(occurrence_rows__execution=execution), execution


def test_a_user_lists_only_incidents_on_executions_they_see(owner_api, owner):
    mine, _ = watched_incident(owner, step="Send SMS")
    failing(step="Not mine")
    listing = owner_api.get("incidents").json()
    assert [i["id"] for i in listing["items"]] == [mine.pk] and listing["total"] == 1
    assert listing["items"][0]["status"] == "open"


def test_filters_by_status_blueprint_and_search(owner_api, owner):
    sms, _ = watched_incident(owner, step="Send SMS", blueprint="Welcome pack")
    letter, _ = watched_incident(owner, step="Post letter", message="no address", blueprint="Annual review")
    Incident.objects.filter(pk=letter.pk).update(status=Status.RESOLVED)

    def ids(**query):
        return [i["id"] for i in owner_api.get("incidents", query).json()["items"]]

    assert ids(status="open") == [sms.pk]
    assert ids(status="resolved") == [letter.pk]
    assert ids(blueprint="Annual review") == [letter.pk]
    assert ids(q="address") == [letter.pk]
    bad = owner_api.get("incidents", {"status": "closed"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].endswith("status")


def test_the_detail_lists_only_the_affected_executions_the_user_sees(owner_api, owner, other_user):
    incident, mine = watched_incident(owner, client="Ann")
    theirs = failing(client="Bob")
    Watch.objects.create(user=other_user, execution=theirs)
    assert Incident.objects.get().occurrences == 2  # one incident over both executions
    detail = owner_api.get(f"incidents/{incident.pk}").json()
    assert [e["uuid"] for e in detail["affected"]] == [str(mine.uuid)]
    assert detail["sample_messages"] == ["the account_uuid field is required"]


def test_someone_elses_or_a_missing_incident_is_404(client, owner, outsider, operator):
    incident, _ = watched_incident(owner)
    outsider_api = ApiClient(client, bearer(outsider))
    for path in (f"incidents/{incident.pk}", f"incidents/{incident.pk + 1000}"):
        response = outsider_api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
        # A Viewer's role refuses every action first, as the page's rule does: one answer
        # whether or not the incident exists.
        assert outsider_api.post(f"{path}/resolve", {}).status_code == 403
    # An Operator who may not see it gets the same 404 as for a missing one.
    operator_api = ApiClient(client, bearer(operator))
    assert operator_api.post(f"incidents/{incident.pk}/resolve", {}).status_code == 404
    assert Incident.objects.get().status == Status.OPEN


def test_a_viewer_may_not_triage(owner_api, owner):
    incident, _ = watched_incident(owner)
    response = owner_api.post(f"incidents/{incident.pk}/acknowledge", {})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Incident.objects.get().status == Status.OPEN


def test_an_operator_acknowledges_resolves_ignores_and_snoozes(operator_api, operator):
    incident, _ = watched_incident(operator)
    url = f"incidents/{incident.pk}"
    assert operator_api.post(f"{url}/acknowledge", {}).json()["status"] == "acknowledged"
    assert operator_api.post(f"{url}/resolve", {}).json()["status"] == "resolved"
    assert operator_api.post(f"{url}/ignore", {}).json()["status"] == "ignored"
    by_time = operator_api.post(f"{url}/snooze", {"minutes": 90}).json()
    assert by_time["status"] == "snoozed" and by_time["snoozed_until"]
    by_count = operator_api.post(f"{url}/snooze", {"occurrences": 3}).json()
    assert (
        by_count["snooze_until_occurrences"] == incident.occurrences + 3 and by_count["snoozed_until"] is None
    )
    # Through the service: each change is in the incident's history, by the operator.
    assert StatusChange.objects.filter(incident=incident, by=operator).count() == 5


def test_a_bad_snooze_answers_422_and_changes_nothing(operator_api, operator):
    incident, _ = watched_incident(operator)
    url = f"incidents/{incident.pk}/snooze"
    for body in ({}, {"minutes": 10, "occurrences": 2}, {"minutes": 0}, {"occurrences": -1}):
        response = operator_api.post(url, body)
        assert response.status_code == 422, body
        assert response.json()["message"]
    assert Incident.objects.get().status == Status.OPEN


def test_the_incidents_list_as_csv(owner_api, owner):
    watched_incident(owner, step="=Send SMS")
    failing(step="Not mine")
    response = owner_api.get("exports/incidents.csv", {"status": "open"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert table[0][:3] == ["id", "title", "status"]
    assert len(table) == 2 and table[1][1].startswith("'=Send SMS")


def test_the_incidents_csv_names_each_incidents_connections_in_a_last_column(owner_api, owner):
    from executions.models import Execution
    from tests.builders import make_connection

    acme = make_connection("acme")
    both, _ = watched_incident(owner, step="Send SMS")
    on_acme = failing(step="Send SMS", client="Ann")
    Execution.objects.filter(pk=on_acme.pk).update(connection=acme)
    Watch.objects.create(user=owner, execution=on_acme)
    default_only, _ = watched_incident(owner, step="Send email")
    table = list(csv.reader(io.StringIO(
        b"".join(owner_api.get("exports/incidents.csv").streaming_content).decode("utf-8-sig")
    )))
    assert table[0][-2:] == ["url", "connections"]
    by_id = {int(r[0]): r[-1] for r in table[1:]}
    assert by_id == {both.pk: "acme, default", default_only.pk: "default"}


def test_a_missing_incident_without_an_execution_is_listed_shown_and_exported(owner_api, owner, client):
    """A blueprint that never ran misses its expectation: the incident has no execution to list."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from expectations import evaluation
    from tests.expectations.builders import BLUEPRINT, blueprint_monitor, volume

    blueprint_monitor(start_at=timezone.now() - timedelta(hours=2))
    volume(at_least=1, within=30)
    evaluation.evaluate()
    incident = Incident.objects.get(family="missing")
    assert [i["id"] for i in owner_api.get("incidents").json()["items"]] == [incident.pk]  # the organisation's
    detail = owner_api.get(f"incidents/{incident.pk}").json()
    assert detail["title"].startswith(f"{BLUEPRINT}: 0 executions since") and detail["affected"] == []
    response = owner_api.get("exports/incidents.csv")
    assert str(incident.pk) in b"".join(response.streaming_content).decode("utf-8-sig")
    client.force_login(owner)
    page = client.get(reverse("incidents:detail", args=[incident.pk]))
    assert page.status_code == 200 and incident.title in page.content.decode()
