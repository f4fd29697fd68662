"""Table rows (ui/rows.py): a broken connection's executions say so, and the row
changes when the connection breaks and when it is restored (its state is in the row's key)."""

import pytest
from django.core.cache import caches
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


def test_rows_name_their_connection_only_when_there_are_several(admin, client):
    from tests.builders import make_connection, watch

    client.force_login(admin)
    watch(admin, name="Welcome pack")
    url = reverse("executions:watchlist")
    assert 'class="connection"' not in client.get(url).content.decode()  # one connection: nothing to tell apart

    acme = make_connection("acme-network")
    watch(admin, name="Annual review", connection=acme)
    # A row cached before the second connection came shows it when it is next rendered,
    # within a minute (rows.ROW_CACHE_SECONDS): that minute, passed.
    caches["fragments"].clear()
    page = client.get(url).content.decode()
    assert page.count('class="connection"') == 2
    assert ">acme-network</span>" in page and f">{ensure_default().name}</span>" in page
