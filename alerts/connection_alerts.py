"""A Plannr connection's state, told to the Admins: broken, still broken, restored, expiring.

The `connection_event` receiver writes one notice row of the one outbox
(channels.models.Delivery) per Admin's email address, per Admin's own chat/webhook
channel and per organisation channel, in the transaction that changed the connection,
and queues them on commit. Nothing here is sent per execution or per
incident: a break is one notice, however many executions wait for the connection.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from accounts.roles import ADMIN
from channels.messages import Notification
from channels.models import Channel, Delivery, Kind, Topic

from .emails import render_body
from .models import AlertPreference

SUBJECTS = {
    "broken": "Plannr connection {name} is broken: executions are not being updated",
    "reminder": "Plannr connection {name} is still broken",
    "restored": "Plannr connection {name} is working again",
    "expiring": "Plannr connection {name}: its token expires in {days} day(s)",
}


def admins():
    return get_user_model().objects.filter(is_active=True, groups__name=ADMIN).distinct()


def _addresses(users):
    chosen = dict(AlertPreference.objects.filter(user__in=users).exclude(email="").values_list("user_id", "email"))
    return sorted({chosen.get(u.pk) or u.email for u in users if chosen.get(u.pk) or u.email})


def notice(connection, event, now, days=None):
    """The rendered notice, a channels.messages.Notification."""
    url = f"{settings.SITE_URL}{reverse('connections:list')}"
    context = {
        "connection": connection, "event": event, "days": days, "url": url, "site_url": settings.SITE_URL,
        "reminder_hours": settings.CONNECTION_REMINDER_HOURS,
        "executions": connection.executions.filter(next_poll_at__isnull=False).count(),
    }
    return Notification(
        kind="connection",
        event=event,
        subject=SUBJECTS[event].format(name=connection.name, days=days),
        # The account, firm and refusal are Plannr's text: bidi controls stripped, as in every alert.
        text=render_body("alerts/email/connection.txt", context),
        html=render_body("alerts/email/connection.html", context),
        url=url,
    )


def record(connection, event, now, enqueue, days=None):
    """Write the Admins' notice rows; queue them once the transaction commits. Returns their ids."""
    users = list(admins())
    body = notice(connection, event, now, days).stored()
    addresses = _addresses(users)
    rows = [Delivery(topic=Topic.NOTICE, kind=Kind.EMAIL, address=a, notice=body, next_attempt_at=now, created_at=now)
            for a in addresses]
    channels = list(Channel.objects.filter(owner__in=users, owner__is_active=True).exclude(kind=Kind.EMAIL))
    # The organisation's channels too (the team's chat, a shared mailbox): a silent monitor
    # concerns everyone. An email one an Admin's own address already gets is that destination.
    channels += [
        c for c in Channel.objects.filter(owner__isnull=True)
        if not (c.kind == Kind.EMAIL and c.target.strip().lower() in {a.lower() for a in addresses})
    ]
    rows += [Delivery(topic=Topic.NOTICE, kind=c.kind, channel=c, notice=body, next_attempt_at=now, created_at=now)
             for c in channels]
    created = Delivery.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk]
    if not ids:  # SQLite before 3.35 gives no ids back; read them
        ids = list(Delivery.objects.filter(topic=Topic.NOTICE, created_at=now).values_list("pk", flat=True))
    if ids and enqueue is not None:
        transaction.on_commit(lambda: enqueue(ids), robust=True)
    return ids


def receiver(enqueue):
    """The `connection_event` receiver (connected in AlertsConfig.ready), sending through `enqueue`."""

    def on_event(sender, connection, event, now, days=None, **kwargs):
        record(connection, event, now, enqueue, days)

    return on_event
