"""What a status change means for routing: called by incidents.grouping.set_status, the one
place every status change passes through, inside its transaction."""


def status_changed(incident, status, now):
    from . import escalation, pagerduty

    escalation.stop(incident.pk, status)
    pagerduty.sync(incident, status, now)
