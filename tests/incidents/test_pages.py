"""The incidents list and incident page: who sees what, filters, actions, live refresh, escaping, scale."""

import re
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from incidents.models import Incident, Status
from monitors.models import Finding, Monitor, Scope

from .builders import many_incidents
from .test_grouping import failing

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")
HTMX = {"HX-Request": "true"}


def mine(owner, **kwargs):
    execution = failing(**kwargs)
    from executions.models import Watch

    Watch.objects.create(user=owner, execution=execution)
    return Incident.objects.get(occurrence_rows__execution=execution)


def test_pages_need_a_login(client):
    assert client.get(LIST).status_code == 302
    assert client.get(reverse("incidents:detail", args=[1])).status_code == 302


def test_a_user_sees_only_incidents_touching_executions_they_watch(owner, outsider, owner_client, client):
    incident = mine(owner)
    failing(step="Not mine")
    html = owner_client.get(LIST).content.decode()
    assert f'id="incident-{incident.pk}"' in html and "Not mine" not in html
    client.force_login(outsider)
    assert f'id="incident-{incident.pk}"' not in client.get(LIST).content.decode()
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
    roles.assign_role(outsider, roles.OPERATOR)  # may triage, but not what they cannot see
    assert client.post(reverse("incidents:act", args=[incident.pk]), {"action": "resolve"}).status_code == 404
    client.post(reverse("incidents:bulk"), {"action": "resolve", "incident": [incident.pk]})
    incident.refresh_from_db()
    assert incident.status == Status.OPEN


def test_open_incidents_come_first_and_filters_narrow_the_list(owner, owner_client):
    resolved = mine(owner, step="Old step")
    resolved.status = Status.RESOLVED
    resolved.save()
    opened = mine(owner, step="Send SMS", blueprint="Annual review")
    html = owner_client.get(LIST).content.decode()
    assert html.index(f'id="incident-{opened.pk}"') < html.index(f'id="incident-{resolved.pk}"')
    only_open = owner_client.get(LIST, {"status": "open"}).content.decode()
    assert f'id="incident-{resolved.pk}"' not in only_open and f'id="incident-{opened.pk}"' in only_open
    by_blueprint = owner_client.get(LIST, {"blueprint": "Annual review"}).content.decode()
    assert f'id="incident-{resolved.pk}"' not in by_blueprint
    searched = owner_client.get(LIST, {"q": "old step"}).content.decode()
    assert f'id="incident-{opened.pk}"' not in searched and f'id="incident-{resolved.pk}"' in searched
    assert owner_client.get(LIST, {"status": "\x00", "q": "a\x00b"}).status_code == 200


def found_by(monitor, incident):
    for occurrence in incident.occurrence_rows.all():
        Finding.objects.create(monitor=monitor, execution=occurrence.execution, found_at=timezone.now())


def test_the_list_filters_by_monitor_through_refresh_and_bulk(operator, client):
    client.force_login(operator)
    found, other = mine(operator), mine(operator, step="Other step")
    monitor = Monitor.objects.create(name="Welcome packs", scope=Scope.EVERYTHING, start_at=timezone.now())
    found_by(monitor, found)
    assert set(Incident.objects.for_monitor(monitor.pk)) == {found}
    assert Incident.objects.for_monitor("").count() == 2  # no monitor: no filter
    page = client.get(LIST, {"monitor": monitor.pk}).content.decode()
    assert f'id="incident-{found.pk}"' in page and f'id="incident-{other.pk}"' not in page
    assert f'<option value="{monitor.pk}" selected>Welcome packs</option>' in page
    # The live refresh asks for the same filter, and the bulk form returns to it.
    assert f"monitor={monitor.pk}" in re.search(r'id="incidents-poller"[^>]*hx-get="([^"]+)"', page).group(1)
    back = unescape(re.search(r'name="next" value="([^"]+)"', page).group(1))
    assert f"monitor={monitor.pk}" in back
    response = client.post(reverse("incidents:bulk"), {"action": "ignore", "incident": [found.pk], "next": back})
    assert f"monitor={monitor.pk}" in response["Location"]
    refreshed = client.get(response["Location"], headers=HTMX).content.decode()
    assert f'id="incident-{found.pk}"' in refreshed and f'id="incident-{other.pk}"' not in refreshed
    assert client.get(LIST, {"monitor": "x\x00"}).status_code == 400  # not a monitor: refused, saying why


def test_affected_executions_use_the_watchlists_table_filters_and_search(owner, owner_client):
    incident = mine(owner, client="Ann Lee")
    second = failing(client="Bob Stone", status="failed")
    second.watches.create(user=owner)
    failing(client="Not mine")  # same incident, an execution the owner may not see
    rows = reverse("incidents:rows", args=[incident.pk])
    detail = owner_client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert detail.count('class="watch-row') == 2 and "Not mine" not in detail
    assert 'id="chip-failing"' in detail and 'id="sort-status"' in detail and f'hx-get="{rows}' in detail
    searched = owner_client.get(rows, {"q": "bob"}, headers=HTMX)
    assert "Bob Stone" in searched.content.decode() and "Ann Lee" not in searched.content.decode()
    assert searched["HX-Push-Url"] == reverse("incidents:detail", args=[incident.pk]) + "?q=bob"
    by_status = owner_client.get(rows, {"status": "failed"}, headers=HTMX).content.decode()
    assert "Bob Stone" in by_status and "Ann Lee" not in by_status
    known = searched.context["data"].fingerprint
    assert owner_client.get(rows, {"q": "bob", "known": known}, headers=HTMX).status_code == 204


def test_actions_change_the_status_record_who_and_answer_htmx_with_the_live_part(operator, client):
    client.force_login(operator)  # triage is the Operators' job
    incident = mine(operator)
    act = reverse("incidents:act", args=[incident.pk])
    assert "Acknowledge</button>" in client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    response = client.post(act, {"action": "acknowledge"}, headers=HTMX)
    assert response.status_code == 200 and 'id="incident-status"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Status.ACKNOWLEDGED and incident.status_changed_by == operator
    client.post(act, {"action": "snooze_n", "occurrences": "5"})
    incident.refresh_from_db()
    assert (incident.status, incident.snooze_until_occurrences) == (Status.SNOOZED, incident.occurrences + 5)
    assert client.post(act, {"action": "snooze_n", "occurrences": "x"}, headers=HTMX).status_code == 400
    client.post(act, {"action": "snooze_1h"})
    incident.refresh_from_db()
    assert incident.status == Status.SNOOZED and incident.snooze_until_occurrences is None
    assert 3590 < (incident.snoozed_until - incident.status_changed_at).total_seconds() <= 3600
    client.post(act, {"action": "assign", "assignee": operator.pk})
    incident.refresh_from_db()
    assert incident.assignee == operator
    html = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "by operator" in html and "snoozed" in html


def test_each_action_answers_with_the_history_and_assignment_is_in_it(operator, admin, owner, client):
    client.force_login(operator)
    incident = mine(operator)
    Incident.objects.filter(pk=incident.pk).update(assignee=None)
    act = reverse("incidents:act", args=[incident.pk])
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    # Anyone who may triage can be given it; a Viewer cannot.
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.split('id="assignee"')[1].split("</select>")[0]))
    assert options == {str(operator.pk): "operator (me)", str(admin.pk): "admin"}

    def history(response):
        assert response.status_code == 200
        text = re.sub(r"<[^>]+>", "", response.content.decode().split('id="history-heading"')[1])
        return unescape(re.sub(r"\s+", " ", text))

    assert "open → acknowledged by operator" in history(client.post(act, {"action": "acknowledge"}, headers=HTMX))
    assert "→ snoozed by operator" in history(client.post(act, {"action": "snooze_1d"}, headers=HTMX))
    assert "Assigned to admin. by operator" in history(
        client.post(act, {"action": "assign", "assignee": admin.pk}, headers=HTMX)
    )
    assert Incident.objects.get().assignee == admin
    refused = client.post(act, {"action": "assign", "assignee": owner.pk}, headers=HTMX)
    assert refused.status_code == 400 and "Operator or an Admin" in refused.content.decode()
    assert "Unassigned (was admin). by operator" in history(client.post(act, {"action": "unassign"}, headers=HTMX))
    assert Incident.objects.get().assignee is None
    assert "→ resolved by operator" in history(client.post(act, {"action": "resolve"}, headers=HTMX))


def test_a_bulk_action_with_nothing_ticked_is_refused_with_a_message(operator, client):
    client.force_login(operator)
    incident = mine(operator)
    response = client.post(reverse("incidents:bulk"), {"action": "resolve", "next": "q=sms"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{LIST}?q=sms"
    [message] = [str(m) for m in response.context["messages"]]
    assert message == "Nothing to resolve: tick one or more incidents first."
    incident.refresh_from_db()
    assert incident.status == Status.OPEN


def test_bulk_acknowledge_resolve_and_ignore(operator, client):
    client.force_login(operator)
    first, second = mine(operator), mine(operator, step="Other step")
    assert 'data-bulk="ignore"' in client.get(LIST).content.decode()
    client.post(reverse("incidents:bulk"), {"action": "ignore", "incident": [first.pk, second.pk]})
    assert set(Incident.objects.values_list("status", flat=True)) == {Status.IGNORED}


def test_a_viewer_sees_their_incidents_but_may_not_triage_them(owner, owner_client):
    incident = mine(owner)
    detail = owner_client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    listing = owner_client.get(LIST).content.decode()
    assert f'id="incident-{incident.pk}"' in listing and 'id="incident-status"' in detail
    assert "Acknowledge</button>" not in detail and "data-bulk" not in listing  # no buttons that only 403
    act = owner_client.post(reverse("incidents:act", args=[incident.pk]), {"action": "resolve"}, headers=HTMX)
    bulk = owner_client.post(reverse("incidents:bulk"), {"action": "resolve", "incident": [incident.pk]})
    assert (act.status_code, bulk.status_code) == (403, 403)
    incident.refresh_from_db()
    assert incident.status == Status.OPEN and incident.status_changed_by is None


def test_forms_are_csrf_protected(operator):
    incident = mine(operator)
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)  # may triage: the 403s are the missing token's
    assert client.post(reverse("incidents:act", args=[incident.pk]), {"action": "resolve"}).status_code == 403
    assert client.post(reverse("incidents:bulk"), {"action": "resolve", "incident": [incident.pk]}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Status.OPEN
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    client.post(reverse("incidents:act", args=[incident.pk]), {"action": "resolve", "csrfmiddlewaretoken": token})
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED


def test_the_live_parts_answer_204_until_something_changes(owner, owner_client):
    incident = mine(owner)
    detail = reverse("incidents:detail", args=[incident.pk])
    first = owner_client.get(detail, {"part": "live"}, headers=HTMX)
    known = first.context["fingerprint"]
    assert owner_client.get(detail, {"part": "live", "known": known}, headers=HTMX).status_code == 204
    rows = reverse("incidents:rows", args=[incident.pk])
    known_rows = owner_client.get(rows, headers=HTMX).context["data"].fingerprint
    assert owner_client.get(rows, {"known": known_rows}, headers=HTMX).status_code == 204
    known_list = owner_client.get(LIST, headers=HTMX).context["fingerprint"]
    assert owner_client.get(LIST, {"known": known_list}, headers=HTMX).status_code == 204
    failing(client="Someone new").watches.create(user=owner)  # one more occurrence
    assert owner_client.get(detail, {"part": "live", "known": known}, headers=HTMX).status_code == 200
    assert owner_client.get(LIST, {"known": known_list}, headers=HTMX).status_code == 200
    assert owner_client.get(rows, {"known": known_rows}, headers=HTMX).status_code == 200


def test_script_in_a_message_or_step_name_is_escaped_in_title_list_and_chart_labels(owner, owner_client):
    hostile = '<script>alert("x")</script>'
    incident = mine(owner, step=hostile, message=hostile)
    for url in (LIST, reverse("incidents:detail", args=[incident.pk])):
        html = owner_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    detail = owner_client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert 'data-label="&lt;script&gt;' in detail  # the chart's label, drawn with textContent
    assert "<title>Incident #" in detail


def count_queries(client, url, params=None, headers=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {}, headers=headers or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.slow
def test_query_counts_stay_the_same_at_10000_incidents_and_200000_occurrences(owner, owner_client):
    small = many_incidents(owner, 3, 2)
    detail = reverse("incidents:detail", args=[small[0].pk])
    rows = reverse("incidents:rows", args=[small[0].pk])
    monitor = Monitor.objects.create(name="All", scope=Scope.EVERYTHING, start_at=timezone.now())
    found_by(monitor, small[0])
    urls = [
        (LIST, {}, {}),
        (LIST, {"status": "open", "q": "required"}, HTMX),
        (LIST, {"monitor": monitor.pk, "blueprint": "Blueprint 0"}, HTMX),
        (detail, {}, {}),
        (detail, {"part": "live"}, HTMX),
        (rows, {"status": "failing", "q": "client"}, HTMX),
        (rows, {"sort": "-status", "page": 2, "size": 25}, HTMX),
    ]
    # Each URL once before measuring: a process's first use of something (the default
    # connection, a cached lookup) and the minute's session write (accounts.middleware.
    # touch_session) happen outside the measured requests, however long building takes.
    def measure():
        for url, params, headers in urls:
            owner_client.get(url, params, headers=headers)
        return [count_queries(owner_client, url, params, headers) for url, params, headers in urls]

    # The clock stands still while measuring: on a slow machine the measured requests can
    # outlast the session's once-a-minute touch, which would add its write to one of them.
    with time_machine.travel(timezone.now(), tick=False):
        before = measure()
    many_incidents(owner, 10_000, 20)
    with time_machine.travel(timezone.now(), tick=False):
        after = measure()
    assert after == before
    assert max(after) <= 15


def test_the_execution_page_and_watchlist_link_a_failure_to_its_incident(owner, owner_client, outsider, client):
    incident = mine(owner)
    execution = incident.occurrence_rows.get().execution
    # What ingest sets on a failing execution (the builder skips ingest).
    type(execution).objects.filter(pk=execution.pk).update(is_failing=True, failure_message="Send SMS: required")
    link = reverse("incidents:for_execution", args=[execution.uuid])
    assert link in owner_client.get(reverse("executions:detail", args=[execution.uuid])).content.decode()
    assert link in owner_client.get(reverse("executions:watchlist")).content.decode()
    response = owner_client.get(link)
    assert response.status_code == 302 and response["Location"] == reverse("incidents:detail", args=[incident.pk])
    client.force_login(outsider)
    assert client.get(link)["Location"] == LIST


def test_the_incident_page_names_its_connections_only_when_there_are_several(owner, owner_client):
    from executions.models import Execution
    from tests.builders import make_connection

    first = mine(owner)
    url = reverse("incidents:detail", args=[first.pk])
    assert 'id="incident-connections"' not in owner_client.get(url).content.decode()  # only `default`
    acme = make_connection("acme")
    assert 'id="incident-connections"' in owner_client.get(url).content.decode()
    from executions.models import Watch

    second = failing(client="Ann")
    Execution.objects.filter(pk=second.pk).update(connection=acme)
    Watch.objects.create(user=owner, execution=second)
    assert Incident.objects.get(occurrence_rows__execution=second) == first
    shown = unescape(re.sub(r"<[^>]+>", "", owner_client.get(url).content.decode()))
    assert re.search(r"Connections: acme\s*× 1, default\s*× 1", shown)


def test_the_incident_page_links_out_to_plannr_only_when_the_connection_has_templates(owner, owner_client):
    import uuid as uuid_lib

    from executions.models import Execution
    from tests.builders import make_connection

    client_uuid = str(uuid_lib.uuid4())
    incident = mine(owner, account_uuid=client_uuid)
    execution = Execution.objects.get(incident_occurrences__incident=incident)
    url = reverse("incidents:detail", args=[incident.pk])
    assert "In Plannr" not in owner_client.get(url).content.decode()  # empty templates: no link
    acme = make_connection(
        "acme", execution_url_template="https://app.plannr.example/automations/{execution_uuid}",
        client_url_template="https://app.plannr.example/clients/{client_uuid}",
    )
    Execution.objects.filter(pk=execution.pk).update(connection=acme)
    page = owner_client.get(url).content.decode()
    assert f'href="https://app.plannr.example/automations/{execution.uuid}"' in page
    assert f'href="https://app.plannr.example/clients/{client_uuid}"' in page
