"""An expectation's breach as an incident, through the incidents app's one writer (grouping).

- volume → family `missing`: one occurrence per episode, on the blueprint's last stored
  execution (the last sign of life), or on none when the blueprint has no stored execution
  (it never ran): then the subscribers of the monitors covering the blueprint are alerted
  (alerts/recipients.monitors_of). It resolves itself when the volume is met again, and its
  history says so. An episode is its last execution: an incident resolved by hand while the
  blueprint is still silent stays resolved until executions arrive and stop again.
- deadline → family `late`: one occurrence per late execution, cleared when that execution
  finishes; the incident resolves itself when none is late any more.

Quiet and unwatched expectations neither open nor resolve anything.
"""

from datetime import timedelta

from django.db.models import Max

from executions.models import Execution, FailureKind
from incidents import fingerprint as fp
from incidents.grouping import add_occurrence, serialise, set_status
from incidents.models import Incident, Occurrence, Status

from .models import Kind, State

ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.SNOOZED)


def family_of(expectation):
    return FailureKind.LATE if expectation.kind == Kind.DEADLINE else FailureKind.MISSING


def key_of(expectation):
    return fp.fingerprint(expectation.blueprint_name, "", family_of(expectation), expectation.fingerprint_message())


def record(verdicts, now):
    """Open, add to and resolve the verdicts' incidents. Called inside the evaluation's transaction."""
    watched = [v for v in verdicts if v.state in (State.OK, State.BREACHED)]
    if not watched:
        return
    keys = {v.expectation.pk: key_of(v.expectation) for v in watched}
    incidents = {i.fingerprint: i for i in Incident.objects.filter(fingerprint__in=keys.values())}
    if not incidents and not any(v.breached for v in watched):
        return
    uncleared = {}
    late_ids = [i.pk for i in incidents.values() if i.family == FailureKind.LATE]
    if late_ids:
        for pk, incident_id, execution_id in Occurrence.objects.uncleared(FailureKind.LATE).filter(
            incident_id__in=late_ids
        ).values_list("pk", "incident_id", "execution_id"):
            uncleared.setdefault(incident_id, {})[execution_id] = pk
    to_open = [
        v for v in watched
        if v.breached and v.expectation.kind == Kind.VOLUME
        and (keys[v.expectation.pk] not in incidents or incidents[keys[v.expectation.pk]].status == Status.RESOLVED)
    ]
    anchors = last_executions([v.expectation for v in to_open])
    # Resolved while still silent (by hand): nothing new unless executions came since (a new anchor).
    seen = set(
        Occurrence.objects.filter(
            incident_id__in=[incidents[keys[v.expectation.pk]].pk for v in to_open if keys[v.expectation.pk] in incidents]
        ).values_list("incident_id", "execution_id")
    ) if any(keys[v.expectation.pk] in incidents for v in to_open) else set()
    serialise()
    cleared = []
    for verdict in watched:
        incident = incidents.get(keys[verdict.expectation.pk])
        if verdict.expectation.kind == Kind.VOLUME:
            _volume(verdict, incident, keys, anchors, seen, now)
        else:
            cleared += _deadline(verdict, incident, keys, uncleared, now)
    if cleared:
        Occurrence.objects.filter(pk__in=cleared).update(cleared_at=now)


def last_executions(expectations):
    """The last stored execution of each blueprint, within its expectation's connection."""
    if not expectations:
        return {}
    last = (
        Execution.objects.filter(
            name__in={e.blueprint_name for e in expectations}, connection_id__in={e.connection_id for e in expectations}
        )
        .values("connection_id", "name").annotate(last=Max("id")).order_by()
    )
    return {(row["connection_id"], row["name"]): row["last"] for row in last}


def _volume(verdict, incident, keys, anchors, seen, now):
    expectation = verdict.expectation
    if verdict.breached:
        if incident is not None and incident.status != Status.RESOLVED:
            return  # the episode is already an incident
        anchor = anchors.get((expectation.connection_id, expectation.blueprint_name))
        if incident is not None and (incident.pk, anchor) in seen:
            return  # resolved by hand during this very silence
        add_occurrence(
            Execution(pk=anchor, name=expectation.blueprint_name, connection_id=expectation.connection_id)
            if anchor else None,
            keys[expectation.pk], now,
            step="", family=FailureKind.MISSING, message=expectation.fingerprint_message(),
            step_uuid="", status="", messages=[verdict.reason], raw_info="", occurred_at=verdict.since,
            title=f"{expectation.blueprint_name}: {verdict.reason}", blueprint=expectation.blueprint_name,
        )
    elif incident is not None and incident.status in ACTIVE:
        _resolve(incident, now, f"Executions arrived again: {verdict.reason}")


def _deadline(verdict, incident, keys, uncleared, now):
    expectation = verdict.expectation
    limit = timedelta(minutes=expectation.finish_within_minutes)
    known = uncleared.get(incident.pk, {}) if incident is not None else {}
    late_ids = set()
    for execution in verdict.late:
        late_ids.add(execution.pk)
        if execution.pk in known:
            continue
        age = int((now - execution.remote_created_at).total_seconds() // 60)
        occurrence = add_occurrence(
            execution, keys[expectation.pk], now,
            step="", family=FailureKind.LATE, message=expectation.fingerprint_message(),
            step_uuid="", status=execution.status,
            messages=[
                f"Not finished {age} min after it was created; expected within "
                f"{expectation.finish_within_minutes} min."
            ],
            raw_info="", occurred_at=execution.remote_created_at + limit,
            title=f"{expectation.blueprint_name}: executions not finished within {expectation.finish_within_minutes} min",
        )
        if occurrence is not None and incident is None:
            incident = occurrence.incident
    cleared = [pk for execution_id, pk in known.items() if execution_id not in late_ids]
    if incident is not None and incident.status in ACTIVE and not late_ids:
        _resolve(incident, now, "No execution is late any more.")
    return cleared


def _resolve(incident, now, note):
    set_status(incident, Status.RESOLVED, None, now, note, automatic=True)
    incident.version += 1
    incident.save()
