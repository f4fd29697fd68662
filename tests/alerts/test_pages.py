"""The alerts page, the settings page, mute and retry: login, own data only, CSRF."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts.models import AlertPreference, FailureEvent
from channels.models import Delivery, DeliveryState
from executions.models import Watch

from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db

EVENTS = reverse("alerts:events")
SETTINGS = reverse("alerts:settings")


def failing(user, *, name="Send SMS", info="raw", messages=("boom",), status="failed", muted=False):
    execution = make_execution(name=f"Blueprint for {name}")
    failed_step(execution, name=name, status=status, info=info, messages=messages)
    watch(user, execution, muted=muted)
    ingest_signal(execution)
    return FailureEvent.objects.get(execution=execution)


def deliveries_of(event):
    """The user's emails about an event: the alerts of the incident it belongs to."""
    return Delivery.objects.alert_emails().filter(alert__incident__occurrence_rows__execution=event.execution_id)


def row(html, event):
    start = html.index(f'id="event-{event.pk}"')
    return html[start : html.index("</tr>", start)]


@pytest.mark.parametrize("url", [EVENTS, SETTINGS])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_expired_session_sends_the_whole_page_to_login_not_into_the_live_region(client):
    # Without the shared htmx login check, the login form is swapped into #alerts-live.
    response = client.get(
        EVENTS, {"known": "x"}, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/alerts/?show=sent"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=/alerts/?show=sent"


@pytest.mark.parametrize("method,name,args", [("post", "alerts:mute", [1]), ("post", "alerts:retry", [1])])
def test_actions_need_a_login(client, method, name, args):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302


def test_the_alerts_page_shows_each_deliverys_state(owner_client, owner):
    sent = failing(owner, name="Sent step")
    pending = failing(owner, name="Pending step")
    retrying = failing(owner, name="Retrying step")
    failed = failing(owner, name="Failed step")
    muted = failing(owner, name="Muted step", muted=True)
    hidden = failing(owner, name="Hidden step", status="completed")
    deliveries_of(sent).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), address="owner@example.com", attempts=1
    )
    deliveries_of(retrying).update(
        state=DeliveryState.RETRYING,
        attempts=2,
        last_error="Could not reach the mail server at x:25",
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    deliveries_of(failed).update(
        state=DeliveryState.FAILED, attempts=8, last_error="The mail server answered 554: no thanks"
    )
    html = owner_client.get(EVENTS).content.decode()

    assert "Sent" in row(html, sent) and "owner@example.com" in row(html, sent)
    assert "Pending" in row(html, pending)
    assert "Retrying" in row(html, retrying) and "Could not reach the mail server" in row(html, retrying)
    assert "attempt 2 of" in row(html, retrying)
    assert "Failed" in row(html, failed) and "answered 554: no thanks" in row(html, failed)
    assert reverse("alerts:retry", args=[deliveries_of(failed).get().pk]) in row(html, failed)
    assert "No email" in row(html, muted)
    assert "Hidden failure" in row(html, hidden)
    assert reverse("executions:detail", args=[sent.execution.uuid]) in row(html, sent)


def test_the_alerts_page_shows_only_the_users_own_data(client, owner, other_user, outsider):
    mine = failing(owner, name="Owner step")
    theirs = failing(other_user, name="Other step")
    deliveries_of(theirs).update(state=DeliveryState.FAILED, last_error="secret-ish error")
    client.force_login(owner)
    html = client.get(EVENTS).content.decode()
    assert f'id="event-{mine.pk}"' in html
    assert f'id="event-{theirs.pk}"' not in html and "secret-ish error" not in html
    client.force_login(outsider)
    html = client.get(EVENTS).content.decode()
    assert "Owner step" not in html and "Other step" not in html
    assert 'id="no-alerts"' in html


def test_the_problems_filter_lists_retrying_and_failed_only(owner_client, owner):
    ok = failing(owner, name="Fine")
    bad = failing(owner, name="Broken")
    deliveries_of(bad).update(state=DeliveryState.FAILED, last_error="x")
    html = owner_client.get(EVENTS, {"show": "problems"}).content.decode()
    assert f'id="event-{bad.pk}"' in html and f'id="event-{ok.pk}"' not in html


def test_plannr_text_is_escaped_on_the_page(owner_client, owner):
    failing(
        owner, name="<script>alert(1)</script>", info="<img src=x onerror=alert(2)>", messages=("<b>m</b>",)
    )
    html = owner_client.get(EVENTS).content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html and "<b>m</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_live_partial_answers_204_while_nothing_changed(owner_client, owner):
    event = failing(owner)
    partial = owner_client.get(EVENTS, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and b"<html" not in partial.content
    known = partial.context["fingerprint"]
    again = owner_client.get(EVENTS, {"known": known}, headers={"HX-Request": "true"})
    assert again.status_code == 204
    deliveries_of(event).update(
        state=DeliveryState.SENT, updated_at=timezone.now() + timedelta(1)
    )
    changed = owner_client.get(EVENTS, {"known": known}, headers={"HX-Request": "true"})
    assert changed.status_code == 200 and b"Sent" in changed.content


def test_retry_sends_a_failed_delivery_again(owner_client, owner):
    event = failing(owner)
    delivery = deliveries_of(event).get()
    Delivery.objects.alert_emails().filter(pk=delivery.pk).update(state=DeliveryState.FAILED, attempts=8, last_error="x")
    response = owner_client.post(reverse("alerts:retry", args=[delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.PENDING, 0, "")


def test_retry_and_mute_refuse_other_users_rows(owner_client, other_user):
    event = failing(other_user)
    delivery = deliveries_of(event).get()
    Delivery.objects.alert_emails().filter(pk=delivery.pk).update(state=DeliveryState.FAILED)
    their_watch = Watch.objects.get(user=other_user)
    assert owner_client.post(reverse("alerts:retry", args=[delivery.pk])).status_code == 404
    assert owner_client.post(reverse("alerts:mute", args=[their_watch.pk]), {"muted": "1"}).status_code == 404
    assert Delivery.objects.alert_emails().get(pk=delivery.pk).state == DeliveryState.FAILED
    assert not Watch.objects.get(pk=their_watch.pk).muted


def test_forms_are_csrf_protected(owner):
    event = failing(owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    my_watch = Watch.objects.get(user=owner)
    assert client.post(reverse("alerts:mute", args=[my_watch.pk]), {"muted": "1"}).status_code == 403
    assert client.post(SETTINGS, {"enabled": "", "email": ""}).status_code == 403
    assert client.post(reverse("alerts:retry", args=[deliveries_of(event).get().pk])).status_code == 403
    assert not Watch.objects.get(pk=my_watch.pk).muted


def test_mute_and_unmute_a_watch_with_htmx(owner_client, owner):
    failing(owner)
    my_watch = Watch.objects.get(user=owner)
    url = reverse("alerts:mute", args=[my_watch.pk])
    response = owner_client.post(url, {"muted": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and b"Unmute alerts" in response.content
    assert Watch.objects.get(pk=my_watch.pk).muted
    # Another site, or a bare word (redirect() took it for a URL name: a 500), is refused
    # with a 400 that says why, and the switch stays as it was.
    for bad in ("https://evil.example/", "settings", "//evil.example/x"):
        response = owner_client.post(url, {"muted": "0", "next": bad})
        assert response.status_code == 400, bad
        assert "must be a path on this site" in response.content.decode()
        assert Watch.objects.get(pk=my_watch.pk).muted
    response = owner_client.post(url, {"muted": "0", "next": "/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/alerts/"
    assert not Watch.objects.get(pk=my_watch.pk).muted


def test_settings_save_the_switch_and_the_address(owner_client, owner):
    page = owner_client.get(SETTINGS)
    assert page.status_code == 200 and b"owner@example.com" in page.content
    response = owner_client.post(SETTINGS, {"email": "desk@example.org"})  # checkbox unticked: off
    assert response.status_code == 302
    preference = AlertPreference.objects.get(user=owner)
    assert (preference.enabled, preference.address) == (False, "desk@example.org")
    response = owner_client.post(SETTINGS, {"enabled": "on", "email": "not an address"})
    assert response.status_code == 400 and b"Enter a valid email address" in response.content
    assert AlertPreference.objects.get(user=owner).email == "desk@example.org"


def test_settings_list_muted_executions(owner_client, owner):
    failing(owner, name="Quiet", muted=True)
    html = owner_client.get(SETTINGS).content.decode()
    assert "Blueprint for Quiet" in html and "Unmute alerts" in html


def test_an_execution_failed_by_its_step_is_listed_once_with_a_link_to_its_incident(owner_client, owner):
    from incidents.models import Incident

    execution = make_execution(name="Welcome pack", status="failed")
    failed_step(execution, name="Send SMS", status="failed")
    watch(owner, execution)
    ingest_signal(execution)
    assert FailureEvent.objects.count() == 2  # the step's failure and the execution's, recorded
    html = owner_client.get(EVENTS).content.decode()
    assert html.count('class="alert-row"') == 1
    incident = Incident.objects.get()
    assert reverse("incidents:detail", args=[incident.pk]) in html


def test_a_monitor_subscriber_sees_the_alerts_they_receive_with_the_error_and_send_again(owner_client, owner):
    from monitors.models import Finding
    from tests.monitors.builders import everything

    monitor = everything(owner)  # its creator subscribes; nobody watches what it finds
    execution = make_execution(name="Found by the monitor")
    Finding.objects.create(monitor=monitor, execution=execution, found_at=timezone.now())
    failed_step(execution, name="Send SMS")
    ingest_signal(execution)
    event = FailureEvent.objects.get(execution=execution)
    assert not Watch.objects.filter(user=owner).exists()
    deliveries_of(event).filter(user=owner).update(
        state=DeliveryState.FAILED, attempts=8, last_error="Could not reach the mail server at smtp:25"
    )
    delivery = Delivery.objects.alert_emails().get(user=owner)
    for show in ("", "problems"):
        html = owner_client.get(EVENTS, {"show": show}).content.decode()
        assert f'id="event-{event.pk}"' in html, show
        assert "Could not reach the mail server at smtp:25" in row(html, event)
        assert reverse("alerts:retry", args=[delivery.pk]) in row(html, event)
        assert "Send again" in row(html, event)
