"""The blueprint page: the run × step matrix against known outcomes, expectations, the band."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from executions.models import Watch
from tests.builders import add_step, make_execution
from tests.expectations.builders import BLUEPRINT, blueprint_monitor, volume

pytestmark = pytest.mark.django_db


def run(owner, minutes_ago, outcomes):
    execution = make_execution(name=BLUEPRINT, remote_created_at=timezone.now() - timedelta(minutes=minutes_ago))
    Watch.objects.create(user=owner, execution=execution)
    for position, (step, status, kwargs) in enumerate(outcomes):
        add_step(execution, step, status, position=position, **kwargs)
    return execution


def cells(html):
    """{step: [outcome per run, oldest first]} read from the rendered matrix."""
    table = html.split('id="run-step-matrix"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S):
        step = re.sub(r"<[^>]+>", "", row.split("</th>", 1)[0])
        rows[step] = re.findall(r'data-outcome="(\w+)"', row)
    return rows


def test_the_matrix_shows_each_step_outcome_per_run_with_text_alternatives(owner_client, owner):
    ok = ("Send SMS", "completed", {})
    run(owner, 30, [("Create task", "completed", {}), ok])
    run(owner, 20, [("Create task", "completed", {}), ("Send SMS", "failed", {})])
    run(owner, 10, [("Create task", "completed", {}), ("Send SMS", "completed", {"hidden": True})])
    run(owner, 5, [("Create task", "completed", {})])
    html = owner_client.get(reverse("expectations:blueprint", args=[BLUEPRINT])).content.decode()
    assert cells(html) == {
        "Create task": ["completed"] * 4,
        "Send SMS": ["completed", "failed", "hidden", "none"],
    }
    assert '<span class="visually-hidden">Send SMS: failed</span>' in html
    assert '<span class="visually-hidden">Send SMS: not run</span>' in html


def test_expectations_show_their_state_and_the_chart_its_band(owner_client, owner):
    blueprint_monitor()
    run(owner, 5, [("Create task", "completed", {})])
    volume(at_least=2, within=30)
    html = owner_client.get(reverse("expectations:blueprint", args=[BLUEPRINT])).content.decode()
    assert "at least 2 per 30 min" in html
    assert 'data-band="4.0"' in html
    assert "expected at least 4.0 per hour" in html


def test_a_breach_with_no_stored_execution_lists_its_missing_incident_on_the_page(admin_client):
    from expectations import evaluation

    blueprint_monitor(start_at=timezone.now() - timedelta(hours=2))
    volume(at_least=1, within=30)
    evaluation.evaluate()
    html = admin_client.get(reverse("expectations:blueprint", args=[BLUEPRINT])).content.decode()
    assert f"{BLUEPRINT}: 0 executions since" in html and "expected at least 1 per 30 min" in html
    assert "no incident and no alert" not in html


def test_the_same_blueprint_in_two_connections_names_each_expectations_connection(admin_client):
    from tests.builders import make_connection

    other = make_connection("Second firm")
    blueprint_monitor()
    blueprint_monitor(connection=other)
    volume(at_least=1, within=30)
    html = admin_client.get(reverse("expectations:blueprint", args=[BLUEPRINT])).content.decode()
    assert "expectation-connection" not in html  # one connection: nothing to tell apart
    volume(at_least=1, within=30, connection=other)
    html = admin_client.get(reverse("expectations:blueprint", args=[BLUEPRINT])).content.decode()
    assert re.findall(r'class="muted expectation-connection">connection ([^<]+)<', html) == ["default", "Second firm"]


def test_blueprint_names_link_to_the_page_from_rows_incidents_and_the_overview(owner_client, owner):
    from expectations.models import Expectation, State
    from tests.incidents.test_grouping import failing

    blueprint_monitor()
    run(owner, 5, [("Create task", "completed", {})])
    expectation = volume(at_least=2, within=30)
    Expectation.objects.filter(pk=expectation.pk).update(state=State.BREACHED, reason="0 executions since 09:00")
    url = reverse("expectations:blueprint", args=[BLUEPRINT])
    assert f'href="{url}"' in owner_client.get(reverse("executions:watchlist")).content.decode()
    overview = owner_client.get(reverse("monitors:overview")).content.decode()
    assert 'id="breached-expectations"' in overview and f'href="{url}"' in overview
    assert "0 executions since 09:00" in overview
    Watch.objects.create(user=owner, execution=failing(blueprint=BLUEPRINT))
    incidents = owner_client.get(reverse("incidents:list")).content.decode()
    assert f'href="{url}" class="blueprint-link"' in incidents


def test_a_name_with_slashes_question_marks_and_markup_opens_its_page_escaped(owner_client, owner):
    name = "Review / <b>KYC</b>? #1"
    execution = make_execution(name=name)
    Watch.objects.create(user=owner, execution=execution)
    watchlist = owner_client.get(reverse("executions:watchlist")).content.decode()
    link = re.search(r'class="blueprint-link" href="([^"]+)"', watchlist).group(1)
    page = owner_client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;b&gt;KYC&lt;/b&gt;" in html and "<b>KYC</b>" not in html
    assert link == reverse("expectations:blueprint", args=[name])
