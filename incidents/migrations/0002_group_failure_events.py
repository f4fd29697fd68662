"""Group the FailureEvents recorded before incidents existed into incidents.

Same rules as incidents/grouping.py: an execution failure is grouped only when
its execution has no step failure on record; one occurrence per execution and
incident. No alerts are sent for them: they have no alert, so no reminder is due.
"""

from django.db import migrations

from incidents.fingerprint import fingerprint
from incidents.grouping import SAMPLE_LIMIT, make_title
from incidents.normaliser import failure_message, message_key

EXECUTION_FAILED = "execution_failed"


def family_of(kind):
    # As incidents/fingerprint.py said when this migration was written: a hidden failure
    # is its own kind, a failed step and a failed execution are both "failed".
    return "hidden" if kind == "hidden_failure" else "failed"


def group_events(apps, schema_editor):
    FailureEvent = apps.get_model("alerts", "FailureEvent")
    Incident = apps.get_model("incidents", "Incident")
    Occurrence = apps.get_model("incidents", "Occurrence")
    with_step_failure = set(
        FailureEvent.objects.exclude(kind=EXECUTION_FAILED).values_list("execution_id", flat=True)
    )
    incidents = {}
    clients = {}
    seen = set()
    events = FailureEvent.objects.select_related("execution").order_by("detected_at", "id")
    for event in events.iterator(chunk_size=1000):
        if event.kind == EXECUTION_FAILED and event.execution_id in with_step_failure:
            continue
        step = "" if event.kind == EXECUTION_FAILED else event.step_name
        family = family_of(event.kind)
        message = message_key(event.raw_info, event.messages, event.status)
        key = fingerprint(event.blueprint_name, step, family, message)
        if (key, event.execution_id) in seen:
            continue
        seen.add((key, event.execution_id))
        incident = incidents.get(key)
        if incident is None:
            incident = Incident.objects.create(
                fingerprint=key,
                blueprint_name=event.blueprint_name,
                step_name=step[:500],
                family=family,
                message=message[:500],
                title=make_title(step, failure_message(event.messages, event.raw_info, event.status), family),
                sample_info=event.raw_info[:SAMPLE_LIMIT],
                sample_messages=list(event.messages or [])[:20],
                status="open",
                status_changed_at=event.detected_at,
                opened_at=event.detected_at,
                first_seen=event.detected_at,
                last_seen=event.detected_at,
            )
            incidents[key] = incident
            clients[key] = set()
        execution = event.execution
        client = str(execution.account_uuid) if execution.account_uuid else (execution.account_name or "")
        Occurrence.objects.create(
            incident=incident,
            execution_id=event.execution_id,
            kind=event.kind,
            step_uuid=event.step_uuid,
            status=event.status,
            client_name=event.client_name,
            client_key=client[:500],
            messages=list(event.messages or [])[:20],
            raw_info=event.raw_info[:SAMPLE_LIMIT],
            occurred_at=event.detected_at,
            detected_at=event.detected_at,
        )
        incident.occurrences += 1
        if client:
            clients[key].add(client)
        incident.last_seen = event.detected_at
    for key, incident in incidents.items():
        incident.clients = len(clients[key])
        incident.save()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("alerts", "0001_initial"),
    ]

    operations = [migrations.RunPython(group_events, migrations.RunPython.noop)]
