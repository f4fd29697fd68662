"""Who is told about an incident: the one place that decides it.

Today: the watchers of the affected executions whose watch is not muted and
whose account is active. Monitor subscribers join here. Whether a user wants
alert emails at all (their preference) is checked by the caller, under the
preference lock the throttle needs anyway.
"""

from executions.models import Watch


def for_executions(execution_ids):
    """{user_id: [execution_id, ...]} for everyone to tell about these executions."""
    recipients = {}
    rows = Watch.objects.filter(execution_id__in=list(execution_ids), muted=False, user__is_active=True)
    for user_id, execution_id in rows.values_list("user_id", "execution_id").order_by("user_id", "execution_id"):
        recipients.setdefault(user_id, []).append(execution_id)
    return recipients


def executions_of(user_id):
    """The executions (a subquery of ids) a user hears about: watched and not muted."""
    return Watch.objects.filter(user_id=user_id, muted=False).values("execution_id")
