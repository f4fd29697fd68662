"""The alerts app's one beat task: the escalation steps that are due (routing/, docs/routing.md).

Deliveries are sent and swept by the one outbox (channels/tasks.py); routing sits below
alerts, so the task that gives its steps their alerts lives here.
"""

from celery import shared_task


@shared_task(ignore_result=True)
def escalate():
    """Run by beat every ESCALATION_CHECK_SECONDS."""
    from routing import escalation

    escalation.take_due(notify_step)


def notify_step(incident, route, user_ids, channel_ids, now):
    """What an escalation step does (routing.escalation.take_due's `notify`): an alert, queued on commit."""
    from channels.tasks import enqueue_deliveries

    from . import incident_alerts

    incident_alerts.escalation_alert(incident, route, user_ids, channel_ids, now, enqueue_deliveries)
