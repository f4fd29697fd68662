"""The database-derived series added for incidents and discovery, as a scrape shows them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, Status
from metrics import exposition
from monitors.models import Finding, Monitor
from tests.builders import make_execution
from tests.incidents.test_grouping import failing
from tests.metrics.conftest import scrape
from tests.monitors.builders import everything

pytestmark = pytest.mark.django_db

NS = "plannr_monitor"


def test_incidents_open_and_by_status(client, metrics_token):
    failing(step="Send SMS")
    failing(step="Post letter")
    failing(step="Book meeting")
    first, second, _ = Incident.objects.order_by("pk")
    Incident.objects.filter(pk=first.pk).update(status=Status.RESOLVED)
    Incident.objects.filter(pk=second.pk).update(status=Status.SNOOZED)
    exposition.refresh()
    values = scrape(client)
    assert values[(f"{NS}_incidents_open", ())] == 1
    assert values[(f"{NS}_incidents", (("status", "resolved"),))] == 1
    assert values[(f"{NS}_incidents", (("status", "snoozed"),))] == 1
    assert values[(f"{NS}_incidents", (("status", "ignored"),))] == 0


def test_discovery_lag_and_executions_found(client, metrics_token):
    now = timezone.now()
    behind = everything(None, name="Behind")
    paused = everything(None, name="Paused")
    Monitor.objects.filter(pk=behind.pk).update(
        lag_seconds=420.0, last_swept_at=now - timedelta(minutes=3), last_sweep_found=2
    )
    # A paused monitor is not swept: its old lag is not the discovery's lag.
    Monitor.objects.filter(pk=paused.pk).update(paused=True, lag_seconds=9999.0, last_sweep_found=50)
    for _ in range(2):
        Finding.objects.create(monitor=behind, execution=make_execution(), found_at=now)
    exposition.refresh(now)
    values = scrape(client)
    assert values[(f"{NS}_discovery_lag_seconds", ())] == 420.0
    assert values[(f"{NS}_discovery_last_sweep_age_seconds", ())] == pytest.approx(180, abs=1)
    assert values[(f"{NS}_discovery_monitors_active", ())] == 1
    assert values[(f"{NS}_discovery_last_sweep_found", ())] == 2
    assert values[(f"{NS}_discovery_executions_found", ())] == 2


def test_alert_deliveries_are_counted_per_channel_kind(client, metrics_token, operator):
    from alerts.models import Alert
    from channels.models import Delivery, DeliveryState
    from channels import services as channel_services
    from channels.models import Kind

    failing(step="Send SMS")
    incident = Incident.objects.get()
    alert = Alert.objects.create(incident=incident, kind="opened", fold_until=timezone.now())
    slack, _ = channel_services.create_channel(
        operator, Kind.SLACK, "ops", "https://hooks.slack.com/services/T000/B000/XXXX"
    )
    hook, _ = channel_services.create_channel(operator, Kind.WEBHOOK, "hook", "https://example.com/hook")
    Delivery.objects.create(alert=alert, channel=slack, kind=Kind.SLACK, state=DeliveryState.FAILED)
    Delivery.objects.create(alert=alert, channel=hook, kind=Kind.WEBHOOK, state=DeliveryState.SENT)
    exposition.refresh()
    values = scrape(client)
    deliveries = f"{NS}_alert_deliveries"
    assert values[(deliveries, (("channel", "slack"), ("state", "failed")))] == 1
    assert values[(deliveries, (("channel", "webhook"), ("state", "sent")))] == 1
    assert values[(deliveries, (("channel", "email"), ("state", "sent")))] == 0
