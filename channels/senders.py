"""Sending one rendered Notification to one channel: one function per kind.

Every sender returns a SendResult and never raises for a failed send: the error
text is masked with the channel's secrets before it leaves this module, and
`retryable` tells the outbox whether trying again could help.
"""

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from standardwebhooks.webhooks import Webhook

from . import network, payloads
from .masking import mask_secrets

logger = logging.getLogger("channels")

JSON = {"Content-Type": "application/json"}
ERROR_LIMIT = 1000


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str = ""  # masked: safe for pages and logs
    retryable: bool = False


def _retryable_status(status):
    return status >= 500 or status in (408, 425, 429)


def _http(channel, body, headers, success=lambda status: 200 <= status < 300, explain=None, url=None):
    try:
        response = network.post(url or channel.target, body, headers)
    except network.Refused as exc:
        return SendResult(False, None, str(exc), retryable=False)
    except Exception as exc:  # network trouble of any kind: connect, TLS, timeout, reset
        return SendResult(False, None, _describe(exc), retryable=True)
    if success(response.status):
        return SendResult(True, response.status)
    reason = (explain and explain(response)) or f"The receiver answered {response.status}"
    snippet = " ".join(response.body.split())[:300]
    error = f"{reason}: {snippet}" if snippet and not explain else reason
    return SendResult(False, response.status, error, retryable=_retryable_status(response.status))


def _describe(exc):
    name = type(exc).__name__
    if "ReadTimeout" in name or "TimeoutError" in name:
        return f"No answer within {settings.CHANNEL_READ_TIMEOUT:g} s (read timeout)"
    if "ConnectTimeout" in name:
        return f"Could not connect within {settings.CHANNEL_CONNECT_TIMEOUT:g} s (connect timeout)"
    return f"{name}: {exc}"


def send_teams(channel, notification, key):
    def explain(response):
        if 200 <= response.status < 300:
            # Workflows answers 202; a retired Office 365 connector URL answers 200 and posts nothing.
            return (
                f"Teams answered {response.status}, not 202 Accepted: this looks like a retired Office 365 "
                "connector URL. Create a Workflows webhook (see the channel help)"
            )
        return None

    body = payloads.encode(payloads.teams(notification))
    return _http(channel, body, JSON, success=lambda status: status == 202, explain=explain)


def send_slack(channel, notification, key):
    return _http(channel, payloads.encode(payloads.slack(notification)), JSON)


def send_webhook(channel, notification, key):
    now = datetime.now(UTC)
    body = payloads.encode(payloads.webhook(notification, key, now))
    signature = Webhook(channel.signing_secret).sign(key, now, body.decode())
    headers = {
        **JSON,
        "webhook-id": key,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return _http(channel, body, headers)


def send_email(channel, notification, key):
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=" ".join(notification.subject.split())[:200],
        body=notification.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[channel.target],
        headers={"Message-ID": f"<{key}@{host}>", "Auto-Submitted": "auto-generated",
                 "X-Auto-Response-Suppress": "All", **notification.headers},
    )
    if notification.html:
        message.attach_alternative(notification.html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # every failure is a result; the outbox retries what may pass
        return SendResult(False, None, describe_smtp_error(exc), retryable=not smtp_refused_for_good(exc))
    return SendResult(True, None)


def describe_smtp_error(exc):
    """A one-line reason for the pages and the log (SMTP errors carry no secrets)."""
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        return f"The mail server refused the recipient: {codes}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server answered {exc.smtp_code}: {_text(exc.smtp_error)}"
    if isinstance(exc, (ConnectionError, socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected, OSError)):
        return f"Could not reach the mail server at {where}: {exc or type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def smtp_refused_for_good(exc):
    """Only a 5xx refusal of every recipient is final. A 5xx for the sender, authentication or
    the message is as likely our configuration as the message, and an operator can fix it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(code >= 500 for code, _ in exc.recipients.values())
    return False


def send_apprise(channel, notification, key):
    import apprise

    try:
        # Apprise opens its own connections: the address check runs, without pinning.
        network.check_url(channel.target)
    except network.Refused as exc:
        return SendResult(False, None, str(exc), retryable=False)
    except OSError as exc:
        return SendResult(False, None, str(exc), retryable=True)
    # Sequential: the plugin runs in this thread, inside network.no_redirects().
    asset = apprise.AppriseAsset(async_mode=False)
    plugin = apprise.Apprise.instantiate(channel.target, asset=asset)
    if plugin is None:
        return SendResult(False, None, "Apprise does not understand this URL", retryable=False)
    # Our timeouts, whatever the URL asks for.
    plugin.socket_connect_timeout = settings.CHANNEL_CONNECT_TIMEOUT
    plugin.socket_read_timeout = settings.CHANNEL_READ_TIMEOUT
    notifier = apprise.Apprise(asset=asset)
    notifier.add(plugin)
    body = notification.text
    if len(body.encode()) > settings.CHANNEL_MAX_PAYLOAD_BYTES:
        body = body.encode()[: settings.CHANNEL_MAX_PAYLOAD_BYTES].decode("utf-8", "ignore")
    with network.no_redirects() as redirected:
        sent = notifier.notify(title=notification.subject, body=body)
    if redirected:
        return SendResult(False, None, "Refused: the receiver answered with a redirect, which is not followed.",
                          retryable=False)
    if sent:
        return SendResult(True, None)
    return SendResult(False, None, "Apprise could not deliver the message", retryable=True)


def send_pagerduty(channel, notification, key):
    """One Events API v2 event; PagerDuty answers 202 when it took it (400: malformed, not retried)."""
    body = payloads.encode(payloads.pagerduty(notification, channel.target))
    return _http(channel, body, JSON, success=lambda status: status == 202, url=settings.PAGERDUTY_EVENTS_URL)


# What one email lists at most of an incident's affected executions: it says when it was cut.
EMAIL_EXECUTIONS = 20


@dataclass(frozen=True)
class Sender:
    send: object  # send(channel, notification, key) -> SendResult
    # How many of an incident's affected executions a message of this kind lists.
    executions: object  # () -> int


# The one sender registry, by channel kind: a new kind is one entry here (and a Kind value).
SENDERS = {
    "email": Sender(send_email, lambda: EMAIL_EXECUTIONS),
    "teams": Sender(send_teams, lambda: payloads.CHAT_EXECUTIONS),
    "slack": Sender(send_slack, lambda: payloads.CHAT_EXECUTIONS),
    "webhook": Sender(send_webhook, lambda: settings.CHANNEL_WEBHOOK_MAX_EXECUTIONS),
    "apprise": Sender(send_apprise, lambda: payloads.CHAT_EXECUTIONS),
    # An event's summary names the incident; PagerDuty links back for the executions.
    "pagerduty": Sender(send_pagerduty, lambda: 0),
}


def executions_cap(kind):
    """How many affected executions to compose for a destination of this kind."""
    return SENDERS[kind].executions()


def send(channel, notification, key):
    """Send, and mask whatever the result says. Never raises for a failed send."""
    try:
        result = SENDERS[channel.kind].send(channel, notification, key)
    except Exception as exc:  # a bug or an unreadable secret: recorded, not raised into the outbox
        logger.warning("channel %s: sender failed with %s", channel.pk, type(exc).__name__)
        result = SendResult(False, None, f"{type(exc).__name__}: {exc}", retryable=True)
    if result.error:
        try:
            secrets = channel.secrets()
        except Exception:  # undecryptable: the error text cannot hold what we cannot read
            secrets = []
        error = mask_secrets(result.error, secrets)[:ERROR_LIMIT]
        result = SendResult(result.ok, result.status_code, error, result.retryable)
    return result
