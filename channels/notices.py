"""The one email that tells a channel's owner it is broken.

Claimed by setting `broken_notice_sent_at` with a conditional update, so it goes
once per breakage however many workers see the channel fail; a send that fails
releases the claim and the sweeper tries again.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Channel

logger = logging.getLogger("channels")


def recipient(channel):
    user = channel.owner or channel.created_by
    return user.email if user and user.is_active and user.email else ""


def send_broken_notice(channel_id, now):
    claimed = Channel.objects.awaiting_broken_notice().filter(pk=channel_id).update(broken_notice_sent_at=now)
    if not claimed:
        return False
    channel = Channel.objects.select_related("owner", "created_by").get(pk=channel_id)
    address = recipient(channel)
    if not address:
        return False  # nobody to tell; the page says it
    context = {
        "channel": channel,
        "site_url": settings.SITE_URL,
        "channel_url": f"{settings.SITE_URL}{reverse('channels:detail', args=[channel.pk])}",
        "hours": settings.CHANNEL_BROKEN_AFTER_HOURS,
        "last_error": channel.attempts.values_list("error", flat=True).first() or "",
    }
    subject = " ".join(render_to_string("channels/email/broken_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("channels/email/broken.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    message.attach_alternative(render_to_string("channels/email/broken.html", context), "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # release the claim: the sweeper sends it later
        Channel.objects.filter(pk=channel_id, broken_notice_sent_at=now).update(broken_notice_sent_at=None)
        logger.warning("channel %s: broken notice not sent (%s)", channel_id, type(exc).__name__)
        return False
    logger.info("channel %s: broken notice sent", channel_id, extra={"channel_id": channel_id})
    return True


def send_pending_notices(now):
    """Notices whose first try failed (called by the sweeper)."""
    ids = Channel.objects.awaiting_broken_notice().values_list("pk", flat=True)
    return sum(send_broken_notice(pk, now) for pk in list(ids[:100]))
