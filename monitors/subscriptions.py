"""Who is alerted about an execution because a monitor found it.

Every user subscribed to a monitor that found the execution, unless they muted
that monitor (or their account is inactive). A monitor's creator is subscribed
when it is created; anyone can subscribe or unsubscribe themselves. Watchers
are the alerts app's own business: this adds the monitors' side only.
"""

from .models import Finding, Subscription


def subscribers_for(execution_ids):
    """{execution id: set of user ids} for the given executions (ids without subscribers left out)."""
    rows = (
        Finding.objects.filter(
            execution_id__in=list(execution_ids),
            monitor__subscriptions__muted=False,
            monitor__subscriptions__user__is_active=True,
        )
        .values_list("execution_id", "monitor__subscriptions__user_id")
        .distinct()
    )
    result = {}
    for execution_id, user_id in rows:
        result.setdefault(execution_id, set()).add(user_id)
    return result


def subscribers_of(monitor_ids):
    """The user ids subscribed, unmuted and active, to any of these monitors."""
    return set(
        Subscription.objects.filter(monitor_id__in=list(monitor_ids), muted=False, user__is_active=True)
        .values_list("user_id", flat=True)
    )


def subscribe(monitor, user, muted=False):
    Subscription.objects.update_or_create(monitor=monitor, user=user, defaults={"muted": muted})


def unsubscribe(monitor, user):
    Subscription.objects.filter(monitor=monitor, user=user).delete()


def subscription_of(monitor, user):
    return Subscription.objects.filter(monitor=monitor, user=user).first()
