"""Table rows are rendered once per version and then read, all of a page's at once, from
each process's "fragments" cache (ui/rows.py), as are the chips, head and pager."""

import re

import pytest
from django.db.models import F
from django.urls import reverse

from executions.models import Execution
from tests.builders import watch
from tests.dashboard.helpers import HTMX

pytestmark = pytest.mark.django_db

ROWS = reverse("executions:watchlist_rows")


def rendered_rows(log):
    """The execution names of the rows rendered (written to the cache) since the log was last read."""
    names = [re.search(r'class="exec-name">([^<]+)</a>', html).group(1)
             for write in log.writes for key, html in write.items() if key.startswith("row:")]
    log.writes.clear()
    return names


def row_reads(log):
    reads = [keys for keys in log.reads if keys and all(k.startswith("row:") for k in keys)]
    log.reads.clear()
    return reads


@pytest.fixture
def five(owner):
    # Newest first: the table lists them from Execution 4 down to Execution 0.
    return [watch(owner, name=f"Execution {i}") for i in range(5)]


def test_a_refresh_renders_the_changed_rows_only_and_reads_the_rest_at_once(owner_client, five, fragments):
    first = owner_client.get(ROWS, headers=HTMX)
    assert first.status_code == 200
    assert rendered_rows(fragments) == [f"Execution {i}" for i in (4, 3, 2, 1, 0)]
    assert [len(keys) for keys in row_reads(fragments)] == [5]

    Execution.objects.filter(pk=five[1].execution_id).update(name="Renamed", version=F("version") + 1)
    again = owner_client.get(ROWS, headers=HTMX)
    html = again.content.decode()
    assert "Renamed" in html and "Execution 1" not in html  # not served stale
    assert rendered_rows(fragments) == ["Renamed"]  # the other four from the cache
    assert [len(keys) for keys in row_reads(fragments)] == [5]
    # The same rows, in the same order, as a fresh render would give.
    assert re.findall(r'class="exec-name">([^<]+)</a>', html) == [
        "Execution 4", "Execution 3", "Execution 2", "Renamed", "Execution 0"
    ]


def test_the_tables_fragments_stay_out_of_the_shared_cache(owner_client, five, fragments, shared_cache):
    owner_client.get(ROWS, headers=HTMX)
    owner_client.get(ROWS, headers=HTMX)
    # Rows, chips, head and pager: written once, then read from this process's memory...
    read = fragments.keys_read()
    assert sum(k.startswith("row:") for k in read) == 10
    assert sum(k.startswith("template.cache.") for k in read) == 6  # chips, head, pager, twice
    # ...and never from the shared cache, which keeps only the counts (and the generation
    # of the redaction rules, which a Viewer's page is redacted with: privacy/rules.py).
    shared = shared_cache.keys_read() + [k for w in shared_cache.writes for k in w]
    assert shared and all(k.startswith(("watchlist:counts:", "privacy:rules:")) for k in shared), shared
