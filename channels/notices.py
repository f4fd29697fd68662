"""The one email that tells a channel's owner it is broken, written to the one outbox.

The row is written once per breakage: `broken_notice_sent_at` is set by a conditional
update in the transaction that marked the channel broken, however many workers see it
fail. From then on it is a notice row like any other: retried, swept, logged.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from .messages import Notification
from .models import Channel, Delivery, Kind, Topic


def recipient(channel):
    user = channel.owner or channel.created_by
    return user.email if user and user.is_active and user.email else ""


def broken_notification(channel):
    context = {
        "channel": channel,
        "site_url": settings.SITE_URL,
        "channel_url": f"{settings.SITE_URL}{reverse('channels:detail', args=[channel.pk])}",
        "hours": settings.CHANNEL_BROKEN_AFTER_HOURS,
        "last_error": channel.attempts.values_list("error", flat=True).first() or "",
    }
    return Notification(
        kind="channel",
        event="broken",
        subject=" ".join(render_to_string("channels/email/broken_subject.txt", context).split()),
        text=render_to_string("channels/email/broken.txt", context),
        html=render_to_string("channels/email/broken.html", context),
        url=context["channel_url"],
    )


def write_broken_notice(channel_id, now):
    """The notice row for a channel that just broke, or None (already written, or nobody to tell).

    Call inside the transaction that marked it broken.
    """
    if not Channel.objects.awaiting_broken_notice().filter(pk=channel_id).update(broken_notice_sent_at=now):
        return None
    channel = Channel.objects.select_related("owner", "created_by").get(pk=channel_id)
    address = recipient(channel)
    if not address:
        return None  # nobody to tell; the channel's page says it is broken
    return Delivery.objects.create(
        topic=Topic.NOTICE, kind=Kind.EMAIL, address=address, notice=broken_notification(channel).stored(),
        next_attempt_at=now, created_at=now,
    ).pk
