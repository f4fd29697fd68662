"""Alert emails: subject, text and HTML bodies from templates, and their headers.

Templates live in templates/alerts/email/<type>_subject.txt, <type>.txt and
<type>.html. Text from Plannr reaches the HTML body only through Django's
autoescaping; the text body is plain text and needs none.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.profiles import time_zone_of

from executions.text import EMAIL_TEXT_LIMIT, cut, strip_bidi

from .models import EventKind

SUBJECT_LIMIT = 200


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def execution_url(execution_uuid):
    """The execution's page; the watchlist if the dashboard has no such page (yet)."""
    try:
        return absolute(reverse("executions:detail", args=[execution_uuid]))
    except NoReverseMatch:
        return absolute(reverse("executions:watchlist"))


def unsubscribe_url(preference):
    return absolute(reverse("alerts:unsubscribe", kwargs={"token": preference.unsubscribe_token}))


def message_id(row, prefix):
    """The same for every attempt at one row, so a resend can be recognised as one."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{prefix}.{row.message_uuid}@{host}>"


def _one_line(text):
    # Names come from Plannr: a newline in a subject would be a header injection
    # (Django refuses it outright), so collapse all whitespace.
    line = " ".join(text.split())
    return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1] + "…"


def render(template_type, context):
    # A subject cannot isolate bidi controls from Plannr (U+202E would reverse the rest of it).
    subject = _one_line(strip_bidi(render_to_string(f"alerts/email/{template_type}_subject.txt", context)))
    text = render_to_string(f"alerts/email/{template_type}.txt", context)
    html = render_to_string(f"alerts/email/{template_type}.html", context)
    return subject, text, html


def _links(preference):
    return {
        "site_url": settings.SITE_URL,
        "settings_url": absolute(reverse("alerts:settings")),
        "events_url": absolute(reverse("alerts:events")),
        "unsubscribe_url": unsubscribe_url(preference),
    }


def event_context(event):
    # A 1 MB info must not make a 2 MB email: the start of it, and a note saying so.
    raw_info = cut(event.raw_info, EMAIL_TEXT_LIMIT)
    return {
        "event": event,
        "kind_label": EventKind(event.kind).label,
        "is_hidden": event.kind == EventKind.HIDDEN_FAILURE,
        "blueprint": event.blueprint_name or "Unnamed blueprint",
        "step": event.step_name
        or ("(execution)" if event.kind == EventKind.EXECUTION_FAILED else "Unnamed step"),
        "client": event.client_name or "unknown client",
        "messages": [str(m) for m in event.messages or []],
        "raw_info": raw_info.text,
        "raw_info_full_length": raw_info.full_length if raw_info.was_cut else None,
        "execution_uuid": event.execution.uuid,
        "execution_url": execution_url(event.execution.uuid),
    }


def _build(subject, text, html, address, row, prefix, preference):
    links = _links(preference)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={
            "Message-ID": message_id(row, prefix),
            "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
            # RFC 8058: mail clients may unsubscribe with one POST, no page visit.
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def failure_email(delivery, preference, address):
    context = {**event_context(delivery.event), **_links(preference), "user": delivery.user}
    with timezone.override(time_zone_of(delivery.user)):  # times in the user's zone
        subject, text, html = render("failure", context)
    return _build(subject, text, html, address, delivery, "alert", preference)


def digest_email(digest, deliveries, preference, address):
    context = {
        **_links(preference),
        "user": digest.user,
        "window": digest.window,
        "sent_count": digest.window.admitted,
        "count": len(deliveries),
        "items": [event_context(d.event) for d in deliveries],
    }
    with timezone.override(time_zone_of(digest.user)):
        subject, text, html = render("digest", context)
    return _build(subject, text, html, address, digest, "digest", preference)
