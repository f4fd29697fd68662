"""An incident's severity: its blueprint's mark, raised by the number of clients affected.

The base is the Admins' `BlueprintSeverity` for the blueprint (`normal` when unmarked).
Each threshold of SEVERITY_CLIENT_THRESHOLDS (ascending client counts) the incident has
reached raises it one level, up to `critical`. It never falls within an incident: clients
only accumulate, and a mark lowered later does not quieten an incident already raised.
"""

from django.conf import settings

from incidents.models import SEVERITY_RANK as RANK
from incidents.models import Severity

from .models import BlueprintSeverity

BY_RANK = {rank: severity for severity, rank in RANK.items()}


def base_for(blueprint_name):
    mark = BlueprintSeverity.objects.filter(blueprint_name=blueprint_name).values_list("severity", flat=True).first()
    return mark or Severity.NORMAL


def compute(base, clients):
    raised = RANK[base] + sum(1 for threshold in settings.SEVERITY_CLIENT_THRESHOLDS if clients >= threshold)
    return BY_RANK[min(raised, RANK[Severity.CRITICAL])]


def of_incident(incident):
    """The severity `incident` should have now (never lower than it has)."""
    now = compute(base_for(incident.blueprint_name), incident.clients)
    current = incident.severity or Severity.NORMAL
    return now if RANK[now] > RANK[current] else current


def mark_blueprint(blueprint_name, severity):
    """An Admin's mark; applied to the blueprint's open incidents at once (never lowering them)."""
    from incidents.models import Incident

    if severity:
        BlueprintSeverity.objects.update_or_create(blueprint_name=blueprint_name, defaults={"severity": severity})
    else:
        BlueprintSeverity.objects.filter(blueprint_name=blueprint_name).delete()
        return
    Incident.objects.filter(blueprint_name=blueprint_name, severity__in=[
        s for s, rank in RANK.items() if rank < RANK[severity]
    ]).update(severity=severity)
