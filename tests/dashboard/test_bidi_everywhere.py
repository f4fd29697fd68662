"""Every page and every email: bidi controls from Plannr are isolated (<bdi>, or a class
the stylesheet isolates) or stripped, never left to reverse what follows (issue 20.32).

The pages are found by walking the URL conf (each named URL that a GET can fill from the
rows made here); the emails by walking templates/*/email/ and templates/alerts/channel/.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from channels.models import Delivery
from executions.models import FailureKind, PollState
from executions.text import BIDI_CONTROLS
from incidents.models import Incident
from monitors.models import Finding, Monitor, Scope
from tests.accounts.test_roles import url_names
from tests.builders import add_snapshot, add_step, ingest_signal, make_execution, watch
from tests.dashboard.bidi import bidi_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

RLO = "\u202e"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SKIPPED_NAMESPACES = ("admin", "api-v1")  # Django's admin; JSON (not a page)


@pytest.fixture
def world(admin):
    execution = make_execution(
        name=f"Welcome pack {RLO}kcap", client=f"Client {RLO}tneilc", status=f"failed{RLO}",
        triggered_by=f"trigger {RLO}reggirt", is_failing=True, failure_message=f"failure {RLO}eruliaf",
        next_step={"name": f"next {RLO}txen", "status": f"pending{RLO}"},
        poll_state=PollState.INVALID, last_poll_error=f"error {RLO}rorre",
    )
    watch(admin, execution, label=f"label {RLO}lebal")
    step = add_step(execution, f"step {RLO}pets", "failed", info=f"info {RLO}ofni",
                    messages=[f"message {RLO}egassem"], failure_kind=FailureKind.FAILED)
    add_snapshot(execution, [{"kind": "status", "from": f"a{RLO}", "to": f"b{RLO}"}])
    # A blueprint monitor is named after its blueprint by default: Plannr text too.
    monitor = Monitor.objects.create(name=f"bp {RLO}pb", scope=Scope.BLUEPRINT, blueprint_name=f"bp {RLO}pb",
                                     blueprint_trigger=f"t {RLO}t", blueprint_steps=[{"name": f"s {RLO}s", "type": "sms"}],
                                     start_at=timezone.now())
    Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now())
    ingest_signal(execution)
    return {"execution": execution, "step": step, "monitor": monitor, "incident": Incident.objects.get(),
            "delivery": Delivery.objects.alert_emails().filter(user=admin).first()}


def _kwargs(name, world):
    e, incident = world["execution"], world["incident"]
    pk = world["monitor"].pk if name.startswith("monitors:") else incident.pk
    for kwargs in ({}, {"uuid": e.uuid}, {"uuid": e.uuid, "step_uuid": world["step"].uuid}, {"pk": pk}):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def test_every_page_isolates_plannr_text(client, admin, world):
    client.force_login(admin)
    walked, carrying = [], []
    for name, namespace in url_names():
        if namespace.split(":")[0] in SKIPPED_NAMESPACES or name.startswith("opt_out"):
            continue
        url = _kwargs(name, world)
        if url is None:
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                continue
            html = response.content.decode()
            walked.append(url)
            isolated, unisolated, in_title = bidi_report(html)
            assert unisolated == [], (url, headers, unisolated)
            assert in_title == [], (url, in_title)
            assert not any(c in option for option in html.split("<option")[1:] for c in BIDI_CONTROLS[:1]), url
            if isolated:
                carrying.append(url)
    # The pages that show Plannr text were walked, and carried it (isolated).
    for page in ("/overview/", "/", "/incidents/", f"/incidents/{world['incident'].pk}/",
                 f"/executions/{world['execution'].uuid}/", f"/monitors/{world['monitor'].pk}/", "/alerts/"):
        assert page in carrying, (page, sorted(set(walked)))


def test_every_email_and_message_template_is_sent_without_bidi_controls(admin, world, monkeypatch):
    from types import SimpleNamespace

    from alerts import channel_alerts, emails
    from alerts.models import ThrottleWindow
    from alerts.preferences import get_preference
    from channels.models import Delivery, Topic

    rendered = {}
    real = emails.render_to_string

    def recording(name, context=None, *args, **kwargs):
        html = real(name, context, *args, **kwargs)
        rendered[name] = html
        return html

    monkeypatch.setattr(emails, "render_to_string", recording)
    preference = get_preference(admin)
    delivery = world["delivery"]
    now = timezone.now()
    window = ThrottleWindow(user=admin, starts_at=now, ends_at=now, admitted=3)
    messages = []
    for kind in ("opened", "regressed", "reminder"):
        delivery.alert.kind = kind
        delivery.alert.since = delivery.alert.since or world["incident"].opened_at - timedelta(seconds=1)
        messages.append(emails.incident_notification(delivery, preference))
        row = SimpleNamespace(alert=delivery.alert, channel=SimpleNamespace(owner_id=None, kind="webhook"))
        messages.append(channel_alerts.compose(row).notification)
    messages.append(emails.digest_notification(Delivery(topic=Topic.DIGEST, user=admin, window=window), [delivery],
                                               preference))
    from alerts import connection_alerts

    connection = world["execution"].connection
    connection.account_name, connection.broken_reason = f"Acme {RLO}Ltd", f"401: token {RLO}revoked"
    connection.broken_since = now
    note = connection_alerts.notice(connection, "broken", now)
    messages.append(note)
    for message in messages:
        for body in [message.subject, message.text, message.html]:
            assert not any(c in body for c in BIDI_CONTROLS), body[:400]
    # Every email and message template was sent here, and the Plannr text reached it
    # (its raw render still held the control that the sent text no longer does).
    top_level = {
        str(path.relative_to(TEMPLATES))
        for folder in ("alerts/email", "alerts/channel") for path in (TEMPLATES / folder).iterdir()
        if not path.name.startswith(("_", "base."))
    }
    assert top_level <= set(rendered), top_level - set(rendered)
    for name in top_level - {"alerts/email/digest_subject.txt"}:  # that one names no Plannr text
        assert RLO in rendered[name], name
