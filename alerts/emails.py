"""What an alert says: subject, text and HTML bodies from templates, as a Notification.

Templates live in templates/alerts/email/<type>_subject.txt, <type>.txt and
<type>.html. Text from Plannr reaches the HTML body only through Django's
autoescaping; the text body is plain text and needs none. How it is sent (the
Message-ID, the SMTP conversation) is the email channel's (channels/senders.py).
"""

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.profiles import time_zone_of
from channels.messages import Notification
from channels.senders import executions_cap
from connections.models import Connection
from executions.models import Watch
from executions.text import strip_bidi
from incidents.models import Occurrence
from routing import actions as action_links

from . import recipients
from .models import AlertEvent
from .notifications import incident_body
from privacy.redaction import redact

SUBJECT_LIMIT = 200
# Incident subjects stay short enough to read whole in a mail client's list.
INCIDENT_SUBJECT_LIMIT = 88
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


def incident_blueprint_url(incident):
    """An incident's blueprint page (it resolves the connection when followed); none if unnamed."""
    return absolute(reverse("expectations:incident_blueprint", args=[incident.pk])) if incident.blueprint_name else ""


def opt_out_url(preference):
    return absolute(reverse("alerts:opt_out", kwargs={"token": preference.opt_out_token}))


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
        "opt_out_url": opt_out_url(preference),
    }


def headers(preference):
    """RFC 8058: mail clients may opt the reader out with one POST, no page visit."""
    return {
        "List-Unsubscribe": f"<{opt_out_url(preference)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_notification(digest, deliveries, preference):
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
    return Notification("incident", subject, text, html, settings.SITE_URL, headers=headers(preference))


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
    if alert.kind == AlertEvent.REMINDER:
        return occurrences.filter(detected_at__gt=alert.since)
    return occurrences.filter(detected_at__gte=alert.incident.opened_at)


def affected_for(delivery, limit=None):
    """(how many, the newest `limit`) of the alert's occurrences the recipient still hears about, with their label.

    `limit` defaults to what one email lists (channels.senders.executions_cap). Those a route
    told hear of every affected execution."""
    limit = limit or executions_cap("email")
    mine = alert_scope(delivery.alert)
    if not delivery.alert.route_id:
        mine = mine.filter(execution_id__in=recipients.executions_of(delivery.user_id))
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
    count = total if alert.kind == AlertEvent.REMINDER else incident.occurrences
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
        "kind_label": AlertEvent(alert.kind).label,
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
        "action_links": action_links.links(incident.pk),
        "action_link_hours": settings.ACTION_LINK_HOURS,
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
    return Notification("incident", subject, text, html, context["incident_url"], body, event=alert.kind,
                        headers=headers(preference))


def digest_item(delivery):
    """One held delivery, as the digest lists it."""
    incident = delivery.alert.incident
    return {
        "kind_label": AlertEvent(delivery.alert.kind).label,
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
