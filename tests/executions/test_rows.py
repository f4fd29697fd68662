"""Table rows (executions/rows.py): a broken connection's executions say so, and the row
changes when the connection breaks and when it is restored (its state is in the row's key)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from connections import services
from connections.defaults import ensure_default
from executions import polling
from executions.models import Execution
from executions.watching import watch_executions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def test_rows_say_connection_broken_since_instead_of_plannrs_refusal_until_restored(simulator, admin, client):
    client.force_login(admin)
    watch_executions(admin, simulator.create_many(2))
    polling.run_cycle()
    url = reverse("executions:watchlist")
    page = client.get(url).content.decode()  # rendered and cached while the connection works
    assert "Connection broken since" not in page

    simulator.server.tenancy.revoke(simulator.user)
    Execution.objects.update(next_poll_at=timezone.now())
    polling.run_cycle()
    assert ensure_default().state() == "broken"
    page = client.get(url).content.decode()
    assert page.count("⚠ Connection broken since") == 2
    assert "⚠ Unauthorized" not in page and "Unauthenticated." not in page

    simulator.server.tenancy.restore(simulator.user)
    assert services.test(ensure_default())[0]
    page = client.get(url).content.decode()
    assert "Connection broken since" not in page
