"""An incident in the terms of `channels.messages.Notification`: the webhook JSON body.

The dataclass lives in the channels app (dependencies point alerts -> channels).
"""


def incident_body(incident, executions, total, incident_url, site_url):
    """The webhook JSON body: the incident, with the affected executions the destination's kind
    lists (the caller fetched at most channels.senders.executions_cap of them) out of `total`.

    `executions` are Occurrence rows with their execution selected.
    """
    from routing.actions import links

    return {
        "id": incident.pk,
        "fingerprint": incident.fingerprint,
        "severity": incident.severity,
        "title": incident.title,
        "status": incident.status,
        "regression": incident.regression,
        "blueprint": incident.blueprint_name,
        "step": incident.step_name,
        "family": incident.family,
        "occurrences": incident.occurrences,
        "clients": incident.clients,
        "first_seen": incident.first_seen.isoformat(),
        "last_seen": incident.last_seen.isoformat(),
        # Acknowledge and Resolve: signed, single-use links (routing/actions.py).
        "links": {"incident": incident_url, **links(incident.pk)},
        "executions_total": total,
        "executions": [
            {
                "uuid": str(o.execution.uuid),
                "client": o.client_name,
                "status": o.status,
                "occurred_at": o.occurred_at.isoformat() if o.occurred_at else None,
                "detected_at": o.detected_at.isoformat(),
                "url": f"{site_url}/executions/{o.execution.uuid}/",
            }
            for o in executions
        ],
    }
