"""An alert's Acknowledge and Resolve links: sign-in, a confirmation, once, and clear refusals."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from alerts.notifications import incident_body
from audit.models import AuditEvent
from incidents.models import Incident, Status
from routing import actions
from routing.models import UsedActionLink
from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(operator):
    execution = make_execution(name="Onboarding")
    failed_step(execution)
    watch(operator, execution)
    ingest_signal(execution)
    return Incident.objects.get()


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_opening_asks_to_sign_in_then_confirms_and_changes_nothing_until_the_post(client, operator, incident):
    path = path_of(actions.link(incident.pk, "acknowledge"))
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(operator)
    page = client.get(path)
    assert page.status_code == 200 and b'id="confirm-action"' in page.content and b'method="post"' in page.content
    # A scanner following the link (GET, HEAD) changes nothing.
    client.head(path)
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and not UsedActionLink.objects.exists()

    done = client.post(path)
    assert done.status_code == 302 and done["Location"] == f"/incidents/{incident.pk}/"
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED and incident.status_changed_by == operator
    assert incident.history.filter(to_status=Status.ACKNOWLEDGED, by=operator).exists()
    assert AuditEvent.objects.filter(action="incident.status", actor=operator, target=f"incident:{incident.pk}").exists()
    assert AuditEvent.objects.filter(action="incident.action_link", actor=operator).exists()


def test_a_link_works_once(client, operator, incident):
    path = path_of(actions.link(incident.pk, "resolve"))
    client.force_login(operator)
    assert client.post(path).status_code == 302
    Incident.objects.filter(pk=incident.pk).update(status=Status.OPEN)
    again = client.post(path)
    assert again.status_code == 409 and b"already been used" in again.content
    assert client.get(path).status_code == 409
    incident.refresh_from_db()
    assert incident.status == Status.OPEN  # the second use changed nothing


def test_an_expired_link_changes_nothing(client, operator, incident, settings):
    with time_machine.travel(timezone.now() - timedelta(hours=settings.ACTION_LINK_HOURS, minutes=1)):
        path = path_of(actions.link(incident.pk, "acknowledge"))
    client.force_login(operator)
    response = client.post(path)
    assert response.status_code == 400 and b"expired" in response.content
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and not UsedActionLink.objects.exists()


def test_a_tampered_link_changes_nothing(client, operator, incident):
    token = actions.token(incident.pk, "acknowledge")
    client.force_login(operator)
    # Another incident's id or another action, re-encoded without the key: the signature no longer fits.
    forged = signing.dumps({"i": incident.pk, "a": "resolve", "n": "x"}, salt="another-salt")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
        response = client.post(f"/routing/a/{bad}/")
        assert response.status_code == 400 and b"not valid" in response.content
    incident.refresh_from_db()
    assert incident.status == Status.OPEN


def test_another_users_invisible_incident_and_a_viewer_change_nothing(client, django_user_model, incident, owner):
    from accounts import roles

    stranger = django_user_model.objects.create_user("stranger", password="x")
    roles.assign_role(stranger, roles.OPERATOR)  # may triage, but watches nothing
    path = path_of(actions.link(incident.pk, "resolve"))
    client.force_login(stranger)
    response = client.post(path)
    assert response.status_code == 404 and b"cannot see it" in response.content
    client.force_login(owner)  # a Viewer
    response = client.post(path)
    assert response.status_code == 403 and b"ask an Operator" in response.content
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and not UsedActionLink.objects.exists()


def test_every_alert_body_carries_both_links(incident):
    body = incident_body(incident, [], 0, "http://testserver/incidents/1/", "http://testserver")
    assert set(body["links"]) == {"incident", "acknowledge", "resolve"}
    for name in ("acknowledge", "resolve"):
        incident_id, action, _ = actions.read(body["links"][name].rstrip("/").rsplit("/", 1)[1])
        assert (incident_id, action) == (incident.pk, name)
    assert body["fingerprint"] == incident.fingerprint and body["severity"] == "normal"


def test_teams_slack_and_webhook_payloads_carry_both_links(incident):
    from datetime import UTC, datetime

    from channels import payloads
    from channels.messages import Notification

    body = incident_body(incident, [], 0, "http://testserver/incidents/1/", "http://testserver")
    notification = Notification("incident", "subject", "text", "", "http://testserver/incidents/1/", body, event="opened")
    card = payloads.teams(notification)["attachments"][0]["content"]
    assert [(a["title"], a["url"]) for a in card["actions"][1:]] == [
        ("Acknowledge", body["links"]["acknowledge"]), ("Resolve", body["links"]["resolve"])]
    [buttons] = [b for b in payloads.slack(notification)["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in buttons["elements"]] == ["Open in Plannr monitor", "Acknowledge", "Resolve"]
    webhook = payloads.webhook(notification, "msg_1", datetime.now(UTC))
    assert webhook["incident"]["links"]["acknowledge"] == body["links"]["acknowledge"]
    assert webhook["incident"]["severity"] == "normal"


def test_an_operators_step_tells_every_operator(incident, operator, admin, owner):
    from datetime import timedelta

    from channels.models import Delivery
    from alerts.tasks import notify_step
    from routing import escalation
    from routing.routes import create

    route = create(name="all hands", blueprint="Onboarding", user_names=["owner"], escalate=["5:operators"])
    escalation.start(incident, route, incident.opened_at)
    taken = escalation.take_due(notify_step, now=incident.opened_at + timedelta(minutes=5))
    assert taken == 1
    # Admins hold the Operator's permissions: everyone who can triage is told; the Viewer is not.
    told = set(Delivery.objects.alert_emails().filter(alert__route=route).values_list("user__username", flat=True))
    assert told == {"operator", "admin"}


def test_a_user_step_reaches_the_users_own_pagerduty(incident, operator, owner):
    from datetime import timedelta

    from channels.models import Delivery
    from alerts.tasks import notify_step
    from channels.services import create_channel
    from routing import escalation
    from routing.routes import create

    pager, _ = create_channel(operator, "pagerduty", "My pager", "P" * 32)
    route = create(name="on call", blueprint="Onboarding", user_names=["owner"], escalate=["15:user:operator"])
    escalation.start(incident, route, incident.opened_at)
    assert escalation.take_due(notify_step, now=incident.opened_at + timedelta(minutes=15)) == 1
    assert list(Delivery.objects.to_channels().filter(alert__route=route).values_list("channel_id", flat=True)) == [pager.pk]
