"""Who may see an incident because of routing: the users a route or its escalation told.

A route may name people who watch none of the affected executions (the on-call
adviser); they are told so that they act, so they see the incident and may
acknowledge it (incidents.models.IncidentQuerySet.visible_to unions this in).
"""


def told_incidents(user):
    """A subquery of the incident ids `user` was sent a routed alert about."""
    from alerts.models import Delivery

    return Delivery.objects.filter(user_id=user.pk, alert__route__isnull=False).values("alert__incident_id")
