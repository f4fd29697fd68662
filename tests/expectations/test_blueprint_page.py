"""The blueprint page: expectations, the band, its connection and the links to it (the run × step
matrix against known outcomes is tested on the simulator: test_on_simulator.py)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections.defaults import ensure_default
from executions.models import Watch
from tests.builders import add_step, make_execution
from tests.expectations.builders import BLUEPRINT, blueprint_monitor, volume

pytestmark = pytest.mark.django_db


def page_url(name=BLUEPRINT, connection=None):
    return reverse("expectations:blueprint", args=[(connection or ensure_default()).pk, name])


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


def test_expectations_show_their_state_and_the_chart_its_band(owner_client, owner):
    blueprint_monitor()
    run(owner, 5, [("Create task", "completed", {})])
    volume(at_least=2, within=30)
    html = owner_client.get(page_url()).content.decode()
    assert "at least 2 per 30 min" in html
    assert 'data-band="4.0"' in html
    assert "expected at least 4.0 per hour" in html


def test_a_breach_with_no_stored_execution_lists_its_missing_incident_on_the_page(admin_client):
    from expectations import evaluation

    blueprint_monitor(start_at=timezone.now() - timedelta(hours=2))
    volume(at_least=1, within=30)
    evaluation.evaluate()
    html = admin_client.get(page_url()).content.decode()
    assert f"{BLUEPRINT}: 0 executions since" in html and "expected at least 1 per 30 min" in html
    assert "no incident and no alert" not in html


def test_the_same_name_in_two_connections_is_two_pages_and_the_name_alone_asks_which(admin_client, django_user_model):
    from tests.builders import make_connection

    other = make_connection("Second firm")
    blueprint_monitor()
    blueprint_monitor(connection=other)
    volume(at_least=1, within=30)
    by_name = reverse("expectations:blueprint_by_name", args=[BLUEPRINT])
    # Known in both connections (a monitor each): the name alone lists them.
    html = admin_client.get(by_name).content.decode()
    choices = html.split('id="blueprint-connections"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', choices) == [
        (page_url(), "default"), (page_url(connection=other), "Second firm"),
    ]
    admin = django_user_model.objects.get(username="admin")
    mine = make_execution(name=BLUEPRINT)
    theirs = make_execution(name=BLUEPRINT, connection=other)
    for execution in (mine, theirs):
        Watch.objects.create(user=admin, execution=execution)
    volume(at_least=7, within=30, connection=other)
    default_page = admin_client.get(page_url()).content.decode()
    other_page = admin_client.get(page_url(connection=other)).content.decode()
    assert "at least 1 per 30 min" in default_page and "at least 7 per 30 min" not in default_page
    assert "at least 7 per 30 min" in other_page and "at least 1 per 30 min" not in other_page
    assert str(mine.uuid) in default_page and str(theirs.uuid) not in default_page
    assert str(theirs.uuid) in other_page and str(mine.uuid) not in other_page
    assert 'id="blueprint-connection"' in other_page and "<strong>Second firm</strong>" in other_page
    # A name known in one connection only: the name alone redirects to its page.
    response = admin_client.get(reverse("expectations:blueprint_by_name", args=["Only here"]))
    assert response.status_code == 302 and response["Location"] == page_url("Only here")
    make_execution(name="Only there", connection=other)
    response = admin_client.get(reverse("expectations:blueprint_by_name", args=["Only there"]))
    assert response["Location"] == page_url("Only there", other)


def test_an_incidents_blueprint_link_opens_its_own_connections_page(admin_client):
    from expectations import evaluation
    from incidents.models import Incident
    from tests.builders import make_connection
    from tests.incidents.test_grouping import failing

    other = make_connection("Second firm")
    blueprint_monitor(connection=other, start_at=timezone.now() - timedelta(hours=2))
    volume(at_least=1, within=30, connection=other)
    evaluation.evaluate()  # never ran in `Second firm`: a missing incident there
    missing = Incident.objects.get(family="missing")
    link = reverse("expectations:incident_blueprint", args=[missing.pk])
    assert f'href="{link}" class="blueprint-link"' in admin_client.get(reverse("incidents:list")).content.decode()
    assert admin_client.get(link)["Location"] == page_url(connection=other)
    failed = failing(blueprint=BLUEPRINT)  # in `default`
    incident = Incident.objects.exclude(pk=missing.pk).get()
    link = reverse("expectations:incident_blueprint", args=[incident.pk])
    assert admin_client.get(link)["Location"] == page_url(connection=failed.connection)
    assert f"{BLUEPRINT}: 0 executions since" in admin_client.get(page_url(connection=other)).content.decode()
    assert incident.title not in admin_client.get(page_url(connection=other)).content.decode()
    # The same failure in the other connection too: the incident spans both, the name alone asks which.
    failing(blueprint=BLUEPRINT, connection=other)
    assert Incident.objects.get(pk=incident.pk).occurrences == 2
    assert admin_client.get(link)["Location"] == reverse("expectations:blueprint_by_name", args=[BLUEPRINT])


def test_blueprint_names_link_to_the_page_from_rows_incidents_and_the_overview(owner_client, owner):
    from expectations.models import Expectation, State
    from incidents.models import Incident
    from tests.incidents.test_grouping import failing

    blueprint_monitor()
    run(owner, 5, [("Create task", "completed", {})])
    expectation = volume(at_least=2, within=30)
    Expectation.objects.filter(pk=expectation.pk).update(state=State.BREACHED, reason="0 executions since 09:00")
    url = page_url()
    assert f'href="{url}"' in owner_client.get(reverse("executions:watchlist")).content.decode()
    overview = owner_client.get(reverse("monitors:overview")).content.decode()
    assert 'id="breached-expectations"' in overview and f'href="{url}"' in overview
    assert "0 executions since 09:00" in overview
    Watch.objects.create(user=owner, execution=failing(blueprint=BLUEPRINT))
    incidents = owner_client.get(reverse("incidents:list")).content.decode()
    incident = Incident.objects.get()
    link = reverse("expectations:incident_blueprint", args=[incident.pk])
    assert f'href="{link}" class="blueprint-link"' in incidents
    assert owner_client.get(link)["Location"] == url


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
    assert link == page_url(name)
