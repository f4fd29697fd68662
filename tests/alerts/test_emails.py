"""What an alert email says: subject, both bodies, links, headers, and escaping."""

from html.parser import HTMLParser

import pytest

from alerts import sending
from alerts.models import AlertPreference, Delivery
from tests.fixtures.smtp import body, header, subject

from .builders import INFO_ERROR, add_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://monitor.example.com"
    return settings


def send_for(user, execution):
    ingest_signal(execution)
    for delivery in Delivery.objects.filter(user=user):
        sending.send_delivery(delivery.pk, reschedule=False)


def test_a_failure_email_names_the_blueprint_step_and_client_and_carries_both_bodies(
    owner, smtp_server, site
):
    execution = make_execution(name="Annual review pack", client="Gareth Thompson")
    add_step(execution, name="Create task", status="completed", info="", messages=())
    add_step(execution, name="Send SMS", status="failed")
    watch(owner, execution)
    send_for(owner, execution)

    [message] = smtp_server.wait_for_count(1)
    assert subject(message) == '[Plannr] Step failed: step "Send SMS" in Annual review pack (Gareth Thompson)'
    assert message["To"] == "owner@example.com"
    text, html = body(message, "plain"), body(message, "html")
    execution_url = f"https://monitor.example.com/executions/{execution.uuid}/"
    for part in (text, html):
        assert "Annual review pack" in part and "Send SMS" in part and "Gareth Thompson" in part
        assert "the account_uuid field is required" in part
        assert execution_url in part
        assert "https://monitor.example.com/alerts/settings/" in part
    assert INFO_ERROR in text  # the raw info, verbatim, in the text body
    assert "&quot;[{errors : &quot;the account_uuid field is required&quot; }]&quot;" in html
    assert "Hidden failure" not in message["Subject"]


def test_a_hidden_failure_is_labelled_as_one(owner, smtp_server, site):
    execution = make_execution(name="Welcome pack")
    add_step(execution, name="Send SMS", status="completed", hidden=True)
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    assert subject(message).startswith('[Plannr] Hidden failure: step "Send SMS" in Welcome pack')
    assert "hidden failure" in body(message, "plain").lower()
    assert "hidden failure" in body(message, "html").lower()
    assert 'marked this step "completed"' in body(message, "plain")


def test_headers_unsubscribe_in_one_click_and_the_message_id_is_stable(owner, smtp_server, site):
    execution = make_execution()
    add_step(execution)
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    token = AlertPreference.objects.get(user=owner).unsubscribe_token
    assert header(message, "List-Unsubscribe") == f"<https://monitor.example.com/alerts/unsubscribe/{token}/>"
    assert header(message, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert header(message, "Auto-Submitted") == "auto-generated"
    delivery = Delivery.objects.get()
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
    add_step(execution, name="<iframe src=x>", status="failed", info=hostile, messages=(hostile,))
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
    assert "<b>Blueprint</b>" in subject(message)


def test_a_name_with_newlines_cannot_add_headers(owner, smtp_server):
    execution = make_execution(name="Review\r\nBcc: victim@example.com", client="A\nB")
    add_step(execution, name="Step\r\nX-Evil: 1")
    watch(owner, execution)
    send_for(owner, execution)
    [message] = smtp_server.wait_for_count(1)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "Review Bcc: victim@example.com" in subject(message)
    assert smtp_server.envelopes()[0]["to"] == ["owner@example.com"]
