""""Last polled" is the claim's advance stamp until the batch reports: pages say "polling…"
until then (issue 20, point 35). Real claims, on real simulator rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from executions import polling
from executions.models import Execution
from tests.executions.polling_helpers import watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import caches

    caches["default"].clear()
    caches["fragments"].clear()


def last_polled_cell(html, uuid):
    row = html[html.index(f'data-uuid="{uuid}"'):]
    cell = row[row.index('class="col-polled"'):]
    return cell[: cell.index("</td>")]


def test_a_claimed_batch_shows_polling_until_it_reports(simulator, owner, owner_client):
    [uuid] = simulator.create_many(1)
    watch_all(owner, [uuid])
    polling.run_cycle()  # the first poll: changed, released
    Execution.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    before = owner_client.get("/").content.decode()
    assert "polling…" not in last_polled_cell(before, uuid)
    page = owner_client.get(f"/executions/{uuid}/").content.decode()
    assert "polling…" not in page

    sent = []
    polling.dispatch(send=lambda rows, token: sent.append((rows, token)))
    [(rows, token)] = sent
    claimed = Execution.objects.get()
    assert claimed.last_polled_at > timezone.now() - timedelta(seconds=2)  # written by the claim, in advance
    html = owner_client.get("/").content.decode()
    assert "polling…" in last_polled_cell(html, uuid)
    known = owner_client.get("/watches/rows/", headers={"HX-Request": "true"}).context["data"].fingerprint
    page = owner_client.get(f"/executions/{uuid}/").content.decode()
    assert 'id="last-polled"><span class="polling">polling…' in page
    overview = owner_client.get("/overview/").content.decode()
    health = overview[overview.index('id="poll-health"'):]
    # The overview's "Last poll" is a poll that reported, never the claim's stamp.
    assert f'datetime="{claimed.last_polled_at.isoformat()}"' not in health
    assert '<dd id="last-poll"><span class="polling">polling…</span></dd>' in health

    polling.poll_claimed(rows, token)  # unchanged: writes nothing to the row, only its FinishedClaim
    assert Execution.objects.get().last_polled_at == claimed.last_polled_at
    html = owner_client.get("/").content.decode()
    assert "polling…" not in last_polled_cell(html, uuid)
    assert "<time datetime" in last_polled_cell(html, uuid)
    again = owner_client.get("/watches/rows/", {"known": known}, headers={"HX-Request": "true"})
    assert again.status_code == 200  # the refresh sees the batch's report
    page = owner_client.get(f"/executions/{uuid}/").content.decode()
    assert "polling…" not in page
    overview = owner_client.get("/overview/").content.decode()
    health = overview[overview.index('id="poll-health"'):]
    assert f'datetime="{claimed.last_polled_at.isoformat()}"' in health and "polling…" not in health
