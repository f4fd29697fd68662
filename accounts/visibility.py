"""Who may see which rows: one rule per model, next to the role rules (rules.py).

Pages, the API, exports and the overview ask `Model.objects.visible_to(user)`; each of those
queryset methods is one line that lands in `visible_to` here, so a rule changes in one place.

- Execution: the user's own watches, and every execution a monitor found (the organisation's).
- Occurrence: on an execution the user may see; those who see every incident see them all. An
  occurrence without an execution (a missing incident of a blueprint that never ran, raised only
  where a monitor covers it) is the organisation's, as what monitors find is: everyone sees it.
- Incident: with an occurrence the user may see, or one a route or its escalation sent them an
  alert about (routing/); those who see every incident (SEE_ALL_INCIDENTS, an Admin permission)
  see them all.
- Channel: the user's own; organisation channels for those who manage them (ORG_CHANNELS).

Watches are owned, not shared (another user's watch is a 404: `filter(user=...)`); monitors,
expectations and blueprints are the organisation's, for every role their URL rule admits;
connections are the Admins' by their URL rules. None of those has a row-level rule.

Models are named by label, never imported: accounts sits below the apps whose rows it rules on.
"""

from django.apps import apps
from django.db.models import OuterRef, Q, Subquery

from . import rules


def sees_every_incident(user):
    return user.has_perm(rules.SEE_ALL_INCIDENTS)


def shared_executions():
    """The organisation's executions (a monitor found them): everyone sees them, and they keep
    being polled when nobody watches them."""
    return _model("executions.Execution").objects.filter(pk__in=_found())


def visible_to(queryset, user, **options):
    """`queryset` narrowed to the rows `user` may see, by the rule of its model."""
    return VISIBILITY[queryset.model._meta.label](queryset, user, **options)


def may_read_execution(request, execution):
    """The execution page's wider rule: what `visible_to` allows, and what we last knew of an
    execution the user no longer watches, when this session unwatched it or they were alerted
    about it (links in emails and on the alerts page lead there)."""
    if visible_to(type(execution).objects.filter(pk=execution.pk), request.user).exists():
        return True
    if str(execution.uuid) in request.session.get("unwatched", []):
        return True
    # Alerts are per incident: an alert delivered to them about an incident this execution is in.
    return execution.incident_occurrences.filter(incident__alerts__deliveries__user=request.user).exists()


def _executions(queryset, user, row_by_row=False):
    """`row_by_row`: as scalar subqueries (one index probe per row), for queries that read along
    an index and stop early (the overview); IN, the default, makes PostgreSQL hash each side
    once, where an OR of correlated EXISTS probed per row (4x slower at 100,000 executions)
    but a probe per row would visit every row of a full listing."""
    watches = _model("executions.Watch").objects.filter(user=user)
    if row_by_row:
        watched = watches.filter(execution_id=OuterRef("pk")).values("id")[:1]
        found = _model("monitors.Finding").objects.filter(execution_id=OuterRef("pk")).values("id")[:1]
        return queryset.alias(_watched=Subquery(watched), _found=Subquery(found)).filter(
            Q(_watched__isnull=False) | Q(_found__isnull=False)
        )
    return queryset.filter(Q(pk__in=watches.values("execution_id")) | Q(pk__in=_found()))


def _occurrences(queryset, user):
    if sees_every_incident(user):
        return queryset
    seen = _executions(_model("executions.Execution").objects.all(), user)
    return queryset.filter(Q(execution__in=seen) | Q(execution__isnull=True))


def _incidents(queryset, user):
    if sees_every_incident(user):
        return queryset
    occurrences = _occurrences(_model("incidents.Occurrence").objects.all(), user)
    # Routed alerts (routing/): the on-call adviser a route or its escalation told watches nothing.
    told = _model("channels.Delivery").objects.filter(user=user, alert__route__isnull=False)
    return queryset.filter(Q(pk__in=occurrences.values("incident_id")) | Q(pk__in=told.values("alert__incident_id")))


def _channels(queryset, user):
    if user.has_perm(rules.ORG_CHANNELS):
        return queryset.filter(Q(owner=user) | Q(owner__isnull=True))
    return queryset.filter(owner=user)


VISIBILITY = {
    "executions.Execution": _executions,
    "incidents.Occurrence": _occurrences,
    "incidents.Incident": _incidents,
    "channels.Channel": _channels,
}


def _found():
    return _model("monitors.Finding").objects.values("execution_id")


def _model(label):
    return apps.get_model(label)
