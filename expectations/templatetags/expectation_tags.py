"""`{% breached_expectations %}`: the overview's list of breached expectations, next to failing
executions. A tag, so that the monitors app's overview needs no import of this app."""

from django import template

from expectations.models import Expectation

register = template.Library()
SHOWN = 20


@register.inclusion_tag("expectations/_breached.html")
def breached_expectations():
    breached = list(Expectation.objects.breached().order_by("-last_checked", "id")[: SHOWN + 1])
    return {"breached": breached[:SHOWN], "more": len(breached) > SHOWN}
