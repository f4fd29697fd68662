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


from django.db.models import OuterRef, Subquery

from channels.messages import Notification
from connections.models import Connection
from executions.models import Watch
from incidents.models import Occurrence

from . import recipients
from .models import AlertKind, EventKind
from .notifications import KINDS, incident_body
from privacy.redaction import names_in, redact, redact_email

SUBJECT_LIMIT = 200
# Incident subjects stay short enough to read whole in a mail client's list.
INCIDENT_SUBJECT_LIMIT = 88
# What one email carries at most: it says when it was cut.
EMAIL_EXECUTIONS = 20
EMAIL_RAW_LIMIT = 4000
EMAIL_MESSAGES = 10
EMAIL_MESSAGE_LIMIT = 500


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def execution_url(execution_uuid):
    """The execution's page; the watchlist if the dashboard has no such page (yet)."""
    try:
        return absolute(reverse("executions:detail", args=[execution_uuid]))
    except NoReverseMatch:
        return absolute(reverse("executions:watchlist"))


def blueprint_url(name, connection_id):
    """The blueprint's page (a name within a connection), where a failure email links its name."""
    return absolute(reverse("expectations:blueprint", args=[connection_id, name])) if name else ""


def incident_blueprint_url(incident):
    """An incident's blueprint page (it resolves the connection when followed); none if unnamed."""
    return absolute(reverse("expectations:incident_blueprint", args=[incident.pk])) if incident.blueprint_name else ""


def unsubscribe_url(preference):
    return absolute(reverse("alerts:unsubscribe", kwargs={"token": preference.unsubscribe_token}))


def message_id(row, prefix):
    """The same for every attempt at one row, so a resend can be recognised as one."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{prefix}.{row.message_uuid}@{host}>"


def _one_line(text):
    # Names come from Plannr: a newline in a subject would be a header injection
    # (Django refuses it outright), so collapse all whitespace.
    line = " ".join(strip_bidi(text).split())
    return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1] + "…"


def render_body(template_name, context):
    """An email or message body: bidi controls from Plannr are stripped, as mail and chat
    clients cannot be relied on to isolate them (an unmatched U+202E would reverse the rest)."""
    return strip_bidi(render_to_string(template_name, context))


def render(template_type, context):
    # A subject cannot isolate bidi controls from Plannr (U+202E would reverse the rest of it).
    subject = _one_line(render_to_string(f"alerts/email/{template_type}_subject.txt", context))
    text = render_body(f"alerts/email/{template_type}.txt", context)
    html = render_body(f"alerts/email/{template_type}.html", context)
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
    raw_info = cut(redact(event.raw_info), EMAIL_TEXT_LIMIT)
    return {
        "event": event,
        "kind_label": EventKind(event.kind).label,
        "is_hidden": event.kind == EventKind.HIDDEN_FAILURE,
        "blueprint": event.blueprint_name or "Unnamed blueprint",
        "blueprint_url": blueprint_url(event.blueprint_name, event.execution.connection_id),
        "step": event.step_name
        or ("(execution)" if event.kind == EventKind.EXECUTION_FAILED else "Unnamed step"),
        "client": event.client_name or "unknown client",
        "messages": [str(m) for m in event.messages or []],
        "raw_info": raw_info.text,
        "raw_info_full_length": raw_info.full_length if raw_info.was_cut else None,
        "execution_uuid": event.execution.uuid,
        "execution_url": execution_url(event.execution.uuid),
    }


def _build(subject, text, html, address, row, prefix, preference, names=()):
    """The email; `names`: the clients it is about, shown as initials (privacy/)."""
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
    return redact_email(message, names)


def failure_email(delivery, preference, address):
    context = {**event_context(delivery.event), **_links(preference), "user": delivery.user}
    with timezone.override(time_zone_of(delivery.user)):  # times in the user's zone
        subject, text, html = render("failure", context)
    return _build(subject, text, html, address, delivery, "alert", preference, names=[delivery.event.client_name])


def digest_email(digest, deliveries, preference, address):
    context = {
        **_links(preference),
        "user": digest.user,
        "window": digest.window,
        "sent_count": digest.window.admitted,
        "count": len(deliveries),
        "items": [digest_item(d) for d in deliveries],
    }
    with timezone.override(time_zone_of(digest.user)):
        subject, text, html = render("digest", context)
    names = [d.event.client_name for d in deliveries if not d.alert_id]
    names += [o.client_name for d in deliveries if d.alert_id for o in alert_scope(d.alert).only("client_name")[:50]]
    return _build(subject, text, html, address, digest, "digest", preference, names=names)


# --- Incident alerts -----------------------------------------------------------------


def user_zone(user):
    """The zone a user reads times in (their profile's; Europe/London unless they chose another)."""
    return time_zone_of(user)


def when(value, zone):
    """A time as a person reads it, with the zone named as the pages name it:
    "14 Mar 2026, 09:30 GMT (Europe/London)"."""
    if value is None:
        return "unknown"
    local = timezone.localtime(value, zone)
    return f"{local:%-d %b %Y, %H:%M} {local.tzname()} ({zone.key})"


def incident_url(incident):
    return absolute(reverse("incidents:detail", args=[incident.pk]))


def alert_scope(alert):
    """The occurrences an alert is about: its episode, or for a reminder those since the last alert."""
    # Only occurrences with an execution are listed: a missing incident of a blueprint that never ran has none.
    occurrences = Occurrence.objects.filter(incident_id=alert.incident_id).of_executions()
    if alert.kind == AlertKind.REMINDER:
        return occurrences.filter(detected_at__gt=alert.since)
    return occurrences.filter(detected_at__gte=alert.incident.opened_at)


def affected_for(delivery, limit=EMAIL_EXECUTIONS):
    """(how many, the newest `limit`) of the alert's occurrences the recipient still hears about, with their label."""
    mine = alert_scope(delivery.alert).filter(execution_id__in=recipients.executions_of(delivery.user_id))
    label = Watch.objects.filter(user_id=delivery.user_id, execution_id=OuterRef("execution_id")).values("label")[:1]
    rows = list(
        mine.select_related("execution__connection").annotate(label=Subquery(label)).order_by("-detected_at", "-id")[:limit]
    )
    return (mine.count() if len(rows) == limit else len(rows)), rows


def _cut(text, limit):
    # Redacted before it is cut: half a phone number is no longer recognisable as one.
    text = redact(text or "")
    if len(text) <= limit:
        return text, 0
    return text[:limit], len(text) - limit


def headline(incident):
    """"Send SMS — the account_uuid field is required": the title, with its step set apart."""
    prefix = f"{incident.step_name}: "
    if incident.step_name and incident.title.startswith(prefix):
        return f"{incident.step_name} — {incident.title[len(prefix):]}"
    return incident.title


def incident_subject(template, context):
    """Short and distinct: the incident number tells alike-titled incidents apart, and the
    headline is cut so that the whole subject fits INCIDENT_SUBJECT_LIMIT."""

    def render_with(headline):
        text = render_to_string(f"alerts/email/{template}_subject.txt", {**context, "headline_short": headline})
        return " ".join(text.split())

    headline = " ".join(redact(context["headline"]).split())  # before it is cut, as in _cut
    subject = render_with(headline)
    over = len(subject) - INCIDENT_SUBJECT_LIMIT
    if over > 0:
        subject = render_with(headline[: max(len(headline) - over - 1, 10)].rstrip() + "…")
    return _one_line(subject)


def incident_context(delivery, preference):
    alert, incident, user = delivery.alert, delivery.alert.incident, delivery.user
    zone = user_zone(user)
    total, rows = affected_for(delivery)
    raw, raw_cut = _cut(incident.sample_info, EMAIL_RAW_LIMIT)
    messages = [_cut(str(m), EMAIL_MESSAGE_LIMIT)[0] for m in (incident.sample_messages or [])[:EMAIL_MESSAGES]]
    count = total if alert.kind == AlertKind.REMINDER else incident.occurrences
    # The connection is named when there are several; its URL template links out to Plannr.
    many = Connection.objects.count() > 1
    executions = [
        {
            "uuid": o.execution.uuid,
            "label": o.label or "",
            "client": o.client_name or "unknown client",
            "ran_at": when(o.occurred_at, zone),
            "detected_at": when(o.detected_at, zone),
            "url": execution_url(o.execution.uuid),
            "connection": o.execution.connection.name if many else "",
            "plannr_url": o.execution.connection.link("execution", execution_uuid=str(o.execution.uuid)),
        }
        for o in rows
    ]
    return {
        **_links(preference),
        "user": user,
        "alert": alert,
        "kind": alert.kind,
        "kind_label": AlertKind(alert.kind).label,
        "incident": incident,
        "headline": headline(incident),
        "blueprint": incident.blueprint_name or "Unnamed blueprint",
        "blueprint_url": incident_blueprint_url(incident),
        "subject_count": count,
        "messages": messages,
        "raw_info": raw,
        "raw_cut": raw_cut,
        "executions": executions,
        "executions_total": total,
        "executions_more": max(total - len(executions), 0),
        "first_seen": when(incident.first_seen, zone),
        "last_seen": when(incident.last_seen, zone),
        "since": when(alert.since, zone) if alert.since else "",
        "zone": zone.key,
        "incident_url": incident_url(incident),
        "_rows": rows,
    }


def incident_notification(delivery, preference):
    context = incident_context(delivery, preference)
    alert = delivery.alert
    template = f"incident_{alert.kind}"
    text = render_body(f"alerts/email/{template}.txt", context)
    html = render_body(f"alerts/email/{template}.html", context)
    subject = incident_subject(template, context)
    body = incident_body(
        alert.incident, context["_rows"], context["executions_total"], context["incident_url"], settings.SITE_URL
    )
    return Notification(KINDS[alert.kind], subject, text, html, context["incident_url"], body)


def incident_email(delivery, preference, address):
    notification = incident_notification(delivery, preference)
    return _build(notification.subject, notification.text, notification.html, address, delivery, "alert", preference,
                  names=names_in(notification.incident))


def digest_item(delivery):
    """One held delivery, as the digest lists it (an incident alert or, from before incidents, a failure)."""
    if not delivery.alert_id:
        event = delivery.event
        return {**event_context(event), "detected_at": event.detected_at, "status": event.status}
    incident = delivery.alert.incident
    return {
        "kind_label": AlertKind(delivery.alert.kind).label,
        "is_hidden": incident.family == "hidden",
        "blueprint": incident.blueprint_name or "Unnamed blueprint",
        "blueprint_url": incident_blueprint_url(incident),
        "step": incident.step_name or "(execution)",
        "client": f"{incident.clients} client{'s' if incident.clients != 1 else ''}",
        "messages": [_cut(str(m), EMAIL_MESSAGE_LIMIT)[0] for m in (incident.sample_messages or [])[:EMAIL_MESSAGES]],
        "raw_info": _cut(incident.sample_info, 1000)[0],
        "execution_url": incident_url(incident),
        "detected_at": delivery.created_at,
        "status": incident.get_status_display(),
    }
