"""What an alert email says: subject, both bodies, links, headers, and escaping."""

import re
from html.parser import HTMLParser

import pytest

from datetime import datetime
from datetime import timezone as dt_timezone

from channels import outbox
from alerts.models import AlertPreference, FailureEvent
from channels.models import Delivery
from executions.models import Step, Watch
from incidents.models import Incident
from tests.fixtures.smtp import body, header, subject

from tests.builders import INFO_ERROR, failed_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://monitor.example.com"
    return settings


def send_for(user, execution):
    ingest_signal(execution)
    for delivery in Delivery.objects.alert_emails().filter(user=user):
        outbox.send(delivery.pk)


def test_an_incident_email_names_the_incident_and_lists_the_users_executions_with_label_and_run_time(
    owner, smtp_server, site, monkeypatch
):
    # The whole subject, whatever the incident's number (ids grow across the run; the cut
    # that keeps subjects short is test_subjects_are_short_and_distinct_for_alike_incidents).
    monkeypatch.setattr("alerts.emails.INCIDENT_SUBJECT_LIMIT", 200)
    execution = make_execution(name="Annual review pack", client="Gareth Thompson")
    failed_step(execution, name="Create task", status="completed", info="", messages=())
    step = failed_step(execution, name="Send SMS", status="failed")
    ran = datetime(2026, 7, 1, 8, 5, tzinfo=dt_timezone.utc)  # 09:05 in London (BST)
    Step.objects.filter(pk=step.pk).update(executed_at=ran)
    watch(owner, execution)
    Watch.objects.filter(user=owner).update(label="Gareth's welcome")
    send_for(owner, execution)

    [message] = smtp_server.wait_for_count(1)
    incident = Incident.objects.get()
    assert subject(message) == (
        f"[Plannr] New incident #{incident.pk}: Send SMS — the account_uuid field is required (1 execution)"
    )
    assert message["To"] == "owner@example.com"
    text, html = body(message, "plain"), body(message, "html")
    execution_url = f"https://monitor.example.com/executions/{execution.uuid}/"
    for part in (text, html):
        # The client by initials: emails leave the product (privacy/, docs/personal-data.md).
        assert "Annual review pack" in part and "Send SMS" in part and "G. T." in part
        assert "Gareth Thompson" not in part
        assert "the account_uuid field is required" in part
        assert execution_url in part
        assert f"https://monitor.example.com/incidents/{incident.pk}/" in part
        assert "https://monitor.example.com/alerts/settings/" in part
        assert "1 Jul 2026, 09:05 BST (Europe/London)" in part  # when the step ran, zone named
    assert "Gareth's welcome" in text and "Gareth&#x27;s welcome" in html  # the user's label
    assert INFO_ERROR in text  # the raw info, verbatim, in the text body
    assert "&quot;[{errors : &quot;the account_uuid field is required&quot; }]&quot;" in html


def test_every_email_about_a_blueprint_links_its_name_to_the_blueprint_page(owner, smtp_server, site):
    """Incident and digest emails, in both bodies (the per-failure email is gone with its path)."""
    from tests.alerts.test_throttle import Clock, fail, sweep

    site.ALERT_EMAILS_PER_HOUR = 1
    clock = Clock()
    execution = make_execution(name="Annual review/pack")
    watch(owner, execution)
    [first] = fail(execution, "Send SMS", clock.now)
    outbox.send(first.pk, now=clock.now)  # the incident email
    [held] = fail(execution, "Create task", clock.advance(minutes=1))
    assert held.state == "held"
    [digest] = sweep(clock.advance(hours=1))["digests"]
    outbox.send(digest, now=clock.now)

    # An incident's link finds the blueprint's connection when followed
    # (expectations.views.incident_blueprint), since one incident may span connections.
    page = f"https://monitor.example.com/blueprints/{execution.connection_id}/Annual%20review/pack"
    messages = smtp_server.wait_for_count(2)
    for message in messages:
        text, html = body(message, "plain"), body(message, "html")
        incident_pages = re.findall(r"https://monitor\.example\.com/incident-blueprint/(\d+)", text)
        url = page if not incident_pages else f"https://monitor.example.com/incident-blueprint/{incident_pages[0]}"
        assert url in text, subject(message)
        assert f'<a href="{url}"' in html, subject(message)
    assert len([m for m in messages if "/incident-blueprint/" in body(m, "plain")]) == 2  # incident, digest


def test_subjects_are_short_and_distinct_for_alike_incidents(owner, smtp_server, site):
    long_message = "the account_uuid field is required because " + "the template changed " * 10
    for blueprint in ("Welcome pack", "Welcome pack for couples"):
        execution = make_execution(name=blueprint)
        failed_step(execution, name="Send SMS", messages=(long_message,), info=long_message)
        watch(owner, execution)
        send_for(owner, execution)
    subjects = [subject(m) for m in smtp_server.wait_for_count(2)]
    assert len(set(subjects)) == 2
    assert all(len(s) <= 90 and s.endswith("… (1 execution)") for s in subjects), subjects


def test_a_huge_info_is_cut_in_the_email_and_says_so(owner, smtp_server, site):
    execution = make_execution()
    failed_step(execution, info="error " + "x" * 1_000_000)
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    assert len(message.as_bytes()) < 100_000
    assert "more characters on the incident page" in body(message, "plain")


def test_headers_unsubscribe_in_one_click_and_the_message_id_is_stable(owner, smtp_server, site):
    execution = make_execution()
    failed_step(execution)
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    token = AlertPreference.objects.get(user=owner).opt_out_token
    assert header(message, "List-Unsubscribe") == f"<https://monitor.example.com/alerts/unsubscribe/{token}/>"
    assert header(message, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert header(message, "Auto-Submitted") == "auto-generated"
    delivery = Delivery.objects.alert_emails().get()
    assert header(message, "Message-ID") == f"<alert.{delivery.message_uuid}@monitor.example.com>"


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


def test_plannr_text_cannot_inject_html_into_the_html_body(owner, smtp_server):
    hostile = (
        '<script>alert("x")</script><img src=x onerror="steal()"><a href="https://evil.example">click</a>'
    )
    execution = make_execution(name="<b>Blueprint</b>", client="<i>Client</i>")
    failed_step(execution, name="<iframe src=x>", status="failed", info=hostile, messages=(hostile,))
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    html = body(message, "html")

    parsed = _Elements()
    parsed.feed(html)
    assert not {"script", "img", "iframe", "b", "i"} & set(parsed.tags)
    assert "onerror" not in parsed.attrs
    assert "https://evil.example" not in [v for v in parsed.attrs]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # The text body shows it as text, and the subject as one plain line.
    assert hostile in body(message, "plain")
    assert "<iframe src=x>" in subject(message)


def test_a_name_with_newlines_cannot_add_headers(owner, smtp_server):
    execution = make_execution(name="Review\r\nBcc: victim@example.com", client="A\nB")
    failed_step(execution, name="Step\r\nX-Evil: 1")
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "Step X-Evil: 1" in subject(message)
    assert smtp_server.envelopes()[0]["to"] == ["owner@example.com"]


def test_every_alert_also_renders_as_a_plain_notification_for_other_channels(owner, site):
    from alerts.emails import incident_notification
    from channels.messages import Notification

    execution = make_execution(client="Gareth Thompson")
    failed_step(execution)
    watch(owner, execution)
    ingest_signal(execution)
    delivery = Delivery.objects.alert_emails().get()
    notification = incident_notification(delivery, AlertPreference.objects.get(user=owner))
    assert isinstance(notification, Notification) and (notification.kind, notification.event) == ("incident", "opened")
    incident = Incident.objects.get()
    assert notification.url == f"https://monitor.example.com/incidents/{incident.pk}/"
    body = notification.incident
    assert (body["id"], body["status"], body["occurrences"], body["clients"]) == (incident.pk, "open", 1, 1)
    assert body["title"] == "Send SMS: the account_uuid field is required"
    assert [e["uuid"] for e in body["executions"]] == [str(execution.uuid)]
    assert notification.subject.startswith(f"[Plannr] New incident #{incident.pk}: ")
