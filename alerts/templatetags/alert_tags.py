"""What the alerts app shows on other apps' pages, without those apps importing it."""

from django import template
from django.conf import settings
from django.db.models import Count, Min

from channels.models import Delivery

register = template.Library()


@register.inclusion_tag("alerts/_held_notice.html", takes_context=True)
def held_notice(context, incident=None):
    """Says so when the hourly cap holds the signed-in user's emails (about `incident`) for a digest."""
    held = Delivery.objects.held_for(context["request"].user, incident).aggregate(
        n=Count("id"), digest_at=Min("digest__next_attempt_at")
    )
    return {
        "held": held["n"],
        "digest_at": held["digest_at"],
        "cap": settings.ALERT_EMAILS_PER_HOUR,
        "incident": incident,
    }
