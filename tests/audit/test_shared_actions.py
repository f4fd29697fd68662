"""Monitor changes, incident status changes and API tokens: one audit row each, through the real doors."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from audit.models import AuditEvent
from executions.models import Watch
from incidents import services as incident_services
from incidents.models import Incident, Status
from monitors.models import Monitor
from audit import context
from incidents import stalls
from tests.incidents.test_grouping import failing
from tests.incidents.test_stalls import history, waiting

pytestmark = pytest.mark.django_db


_seen = {"id": 0}


@pytest.fixture(autouse=True)
def _from_the_start():
    _seen["id"] = 0


def new_rows():
    """The rows written since the last call (the log is append-only, so a step counts what it added)."""
    found = list(AuditEvent.objects.filter(id__gt=_seen["id"]).order_by("id"))
    if found:
        _seen["id"] = found[-1].id
    return found


def only(action):
    """The one row the last step wrote, which must be `action`'s."""
    found = new_rows()
    assert [e.action for e in found] == [action], [(e.action, e.before, e.after) for e in found]
    return found[0]


def statuses():
    """The `incident.status` rows the last steps wrote, oldest first."""
    return [(e.actor_name, e.before["status"], e.after["status"]) for e in new_rows() if e.action == "incident.status"]


def test_monitor_changes_from_the_pages_and_the_command(client, admin):
    client.force_login(admin)
    new_rows()  # the role and the sign-in
    assert client.post(reverse("monitors:new"), {"scope": "everything", "name": "All"}).status_code == 302
    monitor = Monitor.objects.get()
    created = only("monitor.create")
    assert (created.actor, created.target) == (admin, f"monitor:{monitor.pk}")
    assert created.after["name"] == "All" and created.after["scope"] == "everything"

    response = client.post(reverse("monitors:edit", args=[monitor.pk]), {"scope": "everything", "name": "Renamed"})
    assert response.status_code == 302
    updated = only("monitor.update")
    assert (updated.before, updated.after) == ({"name": "All"}, {"name": "Renamed"})

    assert client.post(reverse("monitors:pause", args=[monitor.pk])).status_code == 302
    paused = only("monitor.pause")
    assert paused.before["paused"] is False and paused.after == {"paused": True, "paused_until": None}
    assert client.post(reverse("monitors:resume", args=[monitor.pk])).status_code == 302
    assert only("monitor.resume").after == {"paused": False, "paused_until": None}

    until = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(reverse("monitors:pause", args=[monitor.pk]), {"until": until}).status_code == 302
    window = only("monitor.pause")
    assert window.after["paused"] is False and window.after["paused_until"]

    assert client.post(reverse("monitors:delete", args=[monitor.pk])).status_code == 302
    deleted = only("monitor.delete")
    assert deleted.before["name"] == "Renamed" and not Monitor.objects.exists()

    call_command("monitor", "add", "--user", admin.get_username(), "--all", "--name", "From the shell",
                 stdout=StringIO())
    by_command = only("monitor.create")
    assert by_command.actor is None and by_command.after["name"] == "From the shell"


def test_a_forbidden_monitor_change_writes_no_row(client, operator):
    client.force_login(operator)
    new_rows()
    assert client.post(reverse("monitors:new"), {"scope": "everything"}).status_code == 403
    assert new_rows() == []


def test_every_incident_status_change_from_the_page_and_the_command(client, operator):
    execution = failing()
    Watch.objects.create(user=operator, execution=execution)
    incident = Incident.objects.get()
    client.force_login(operator)
    new_rows()
    act = reverse("incidents:act", args=[incident.pk])
    name = operator.get_username()
    for action, status in [("acknowledge", "acknowledged"), ("snooze_1h", "snoozed"), ("reopen", "open"),
                           ("ignore", "ignored"), ("resolve", "resolved")]:
        assert client.post(act, {"action": action}).status_code == 302, action
        row = only("incident.status")
        assert row.actor == operator and row.target == f"incident:{incident.pk}", action
        assert row.after["status"] == status, action
    # Resolving what is resolved changes nothing, so records nothing.
    client.post(act, {"action": "resolve"})
    assert new_rows() == []

    assert client.post(act, {"action": "assign", "assignee": operator.pk}).status_code == 302
    assigned = only("incident.assign")
    assert (assigned.before, assigned.after) == ({"assignee": None}, {"assignee": name})

    call_command("incidents", "ack", str(incident.pk), stdout=StringIO())
    row = only("incident.status")
    assert (row.actor, row.actor_name, row.before, row.after["status"]) == (None, "", {"status": "resolved"}, "acknowledged")


def test_the_systems_own_status_changes_are_recorded_as_the_systems(operator):
    execution = failing()
    Watch.objects.create(user=operator, execution=execution)
    incident = Incident.objects.get()
    new_rows()
    incident_services.resolve(incident, by=operator)
    assert statuses() == [(operator.get_username(), "open", "resolved")]

    failing(client="Again")  # a regression reopens it
    assert statuses() == [("system", "resolved", "open")]

    incident.refresh_from_db()
    incident_services.snooze(incident, by=operator, occurrences=1)
    failing(client="Third")  # the snooze's occurrences reached
    assert statuses() == [(operator.get_username(), "open", "snoozed"), ("system", "snoozed", "open")]

    incident_services.snooze(incident, by=operator, duration=timedelta(hours=1))
    assert incident_services.wake_snoozed(timezone.now() + timedelta(hours=2)) == 1
    [_, woken] = new_rows()
    assert (woken.actor, woken.actor_name, woken.ip, woken.after["status"]) == (None, "system", None, "open")
    assert Incident.objects.get().status == Status.OPEN


def test_a_stall_clearing_during_someones_request_is_still_the_systems(settings, rf, operator):
    settings.STALL_FACTOR, settings.STALL_FLOOR_MINUTES, settings.STALL_MIN_SAMPLES = 3, 30, 5
    now = timezone.now()
    history(now)
    stuck = waiting(now, "Create task", "Send SMS", timedelta(hours=2))
    assert stalls.detect(now) == (1, 0)
    new_rows()
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    request.user = operator
    token = context.begin(request)
    try:
        stuck.next_step = {"uuid": "7c1d2e3f-0000-4000-8000-000000000001", "name": "Send follow-up"}
        stuck.save(update_fields=["next_step"])
        assert stalls.detect(now + timedelta(minutes=2)) == (0, 1)
    finally:
        context.end(token)
    row = only("incident.status")
    assert (row.actor, row.actor_name, row.ip) == (None, "system", None)
    assert (row.before, row.after["status"]) == ({"status": "open"}, "resolved")


def test_api_tokens_from_the_page_and_the_command_never_store_the_token(client, owner):
    client.force_login(owner)
    new_rows()
    response = client.post(reverse("api:tokens"), {"name": "reporting", "scope": "write"})
    assert response.status_code == 201
    token = ApiToken.objects.get()
    raw = response.context["new_token"]["raw"]
    created = only("api_token.create")
    assert (created.actor, created.target) == (owner, f"api_token:{token.pk}")
    assert created.after["name"] == "reporting" and created.after["scope"] == "write"
    texts = [json.dumps([created.target, created.before, created.after])]

    assert client.post(reverse("api:revoke", args=[token.pk])).status_code == 302
    revoked = only("api_token.revoke")
    assert revoked.actor == owner and revoked.before["name"] == "reporting"
    texts.append(json.dumps([revoked.target, revoked.before, revoked.after]))
    client.post(reverse("api:revoke", args=[token.pk]))  # already revoked: nothing happens
    assert new_rows() == []

    out = StringIO()
    call_command("api_token", "--user", owner.get_username(), stdout=out, stderr=StringIO())
    by_command = only("api_token.create")
    assert by_command.actor is None and by_command.after["owner"] == owner.get_username()
    texts.append(json.dumps([by_command.target, by_command.before, by_command.after]))

    secrets = [raw, out.getvalue().strip()]
    secrets += [t.token_hash for t in ApiToken.objects.all()] + [t.prefix for t in ApiToken.objects.all()]
    for secret in secrets:
        assert all(secret not in text for text in texts)
