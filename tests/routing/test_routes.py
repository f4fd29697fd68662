"""Routes and severity, in process: first match wins, the default route is today's, the command's contract."""

import json

import pytest
from django.core.management import CommandError, call_command

from channels.models import Delivery
from audit.models import AuditEvent
from channels.services import create_channel
from incidents.models import Incident
from routing import severity
from routing.matching import route_for
from routing.models import Route
from tests.builders import failed_step, ingest_signal, make_execution, watch

pytestmark = pytest.mark.django_db

PARAPLANNING = "Paraplanning: annual review pack"


def route(*args):
    out = __import__("io").StringIO()
    call_command("route", *args, stdout=out)
    return out.getvalue()


def failing(name, watcher=None, client="Ada"):
    execution = make_execution(name=name, client=client)
    failed_step(execution)
    if watcher is not None:
        watch(watcher, execution)
    ingest_signal(execution)
    return Incident.objects.get(blueprint_name=name)


def test_with_no_route_the_watchers_hear_as_before(owner, other_user):
    incident = failing("Onboarding", watcher=owner)
    assert list(Delivery.objects.alert_emails().values_list("user__username", flat=True)) == ["owner"]
    assert route_for(incident, []) is None


def test_the_first_matching_route_wins_and_the_rest_take_the_default(owner, other_user, operator, settings):
    settings.ALLOW_PRIVATE_WEBHOOK_TARGETS = True
    teams, _ = create_channel(operator, "teams", "Paraplanning", "http://127.0.0.1:9/teams", organisation=True,
                              operator=True)
    first = route("add", "--name", "paraplanning", "--blueprint", PARAPLANNING, "--channel", str(teams.pk))
    second = route("add", "--name", "all failures", "--family", "failed", "--user", "other")
    assert first.strip() == f"route {Route.objects.get(name='paraplanning').pk}"
    assert second.strip().startswith("route ")

    paraplanning = failing(PARAPLANNING, watcher=owner)
    # The first route matched: its Teams channel, not the watcher, nor the second route's user.
    assert list(Delivery.objects.to_channels().filter(alert__incident=paraplanning).values_list("channel_id", flat=True)) \
        == [teams.pk]
    assert not Delivery.objects.alert_emails().filter(alert__incident=paraplanning).exists()

    other = failing("Onboarding", watcher=owner)
    assert list(Delivery.objects.alert_emails().filter(alert__incident=other).values_list("user__username", flat=True)) == ["other"]

    # A stall matches neither: the default route (its watcher).
    Route.objects.filter(name="all failures").update(family="stalled")
    third = failing("Fact find", watcher=owner)
    assert list(Delivery.objects.alert_emails().filter(alert__incident=third).values_list("user__username", flat=True)) == ["owner"]


def test_min_severity_and_blueprint_marks(owner, other_user, settings):
    settings.SEVERITY_CLIENT_THRESHOLDS = [2, 3]
    route("add", "--name", "critical only", "--min-severity", "critical", "--user", "other")
    severity.mark_blueprint(PARAPLANNING, "high")
    incident = failing(PARAPLANNING, watcher=owner)
    assert incident.severity == "high"
    # High is not critical: the default route.
    assert list(Delivery.objects.alert_emails().values_list("user__username", flat=True)) == ["owner"]
    # A second client raises it to critical (threshold 2).
    execution = make_execution(name=PARAPLANNING, client="Grace")
    failed_step(execution)
    ingest_signal(execution)
    incident.refresh_from_db()
    assert (incident.clients, incident.severity) == (2, "critical")
    assert route_for(incident, [execution.pk]).name == "critical only"


def test_severity_rises_with_clients_and_never_past_critical(settings):
    settings.SEVERITY_CLIENT_THRESHOLDS = [10, 50]
    assert severity.compute("normal", 9) == "normal"
    assert severity.compute("normal", 10) == "high"
    assert severity.compute("normal", 50) == "critical"
    assert severity.compute("critical", 50) == "critical"
    assert severity.compute("low", 10) == "normal"


def test_the_incident_list_filters_on_severity(admin, client):
    failing("Onboarding")
    severity.mark_blueprint(PARAPLANNING, "critical")
    failing(PARAPLANNING)
    client.force_login(admin)
    page = client.get("/incidents/?severity=critical").content.decode()
    # Rows name their blueprint in a <bdi> (the filter's <option>s list every blueprint).
    assert f"<bdi>{PARAPLANNING}</bdi>" in page and "<bdi>Onboarding</bdi>" not in page
    assert 'data-severity="critical"' in page
    everything = client.get("/incidents/").content.decode()
    assert "<bdi>Onboarding</bdi>" in everything and f"<bdi>{PARAPLANNING}</bdi>" in everything


def test_route_add_with_escalation_and_list_json(operator, owner):
    channel, _ = create_channel(operator, "email", "Ops", "ops@example.com", organisation=True, operator=True)
    out = route("add", "--name", "critical", "--min-severity", "critical", "--user", "owner",
                "--escalate", f"15:channel:{channel.pk}", "--escalate", "30:user:operator",
                "--repeat-minutes", "10", "--max-repeats", "3")
    pk = int(out.split()[1])
    [row] = json.loads(route("list", "--json"))
    assert row["id"] == pk and row["users"] == ["owner"] and row["min_severity"] == "critical"
    assert row["escalation"] == [{"after_minutes": 15, "notify": f"channel {channel.pk}"},
                                 {"after_minutes": 30, "notify": "user operator"}]
    assert (row["repeat_minutes"], row["max_repeats"]) == (10, 3)
    assert "escalate: after 15 min" in route("list")
    assert AuditEvent.objects.filter(action="route.create", target=f"route:{pk}").exists()


@pytest.mark.parametrize("args, message", [
    (["--name", "x"], "at least one channel or user"),
    (["--name", "x", "--user", "nobody"], "No active user named 'nobody'"),
    (["--name", "x", "--channel", "987654"], "No channel 987654"),
    (["--name", "x", "--user", "owner", "--escalate", "soon:user:owner"], "whole minutes"),
    (["--name", "x", "--user", "owner", "--repeat-minutes", "5"], "go together"),
    (["--name", "x", "--user", "owner", "--escalate", "30:user:owner", "--escalate", "15:user:owner"], "in order"),
])
def test_route_add_says_what_is_wrong(owner, args, message):
    with pytest.raises(CommandError, match=message):
        route("add", *args)
    assert not Route.objects.exists()


def test_escalation_reads_a_constant_number_of_queries(owner, operator, django_assert_num_queries):
    """Finding what is due, with the routes and steps, costs the same however many incidents
    are due; the rest is each step's own writes (its alert, history and audit rows)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from routing import escalation
    from routing.models import Escalation

    for n in range(6):
        route("add", "--name", f"r{n}", "--blueprint", f"B{n}", "--user", "owner",
              "--escalate", "15:user:operator", "--escalate", "30:operators")
    with django_assert_num_queries(1):
        assert escalation.take_due(lambda *a, **k: None, now=timezone.now()) == 0
    for n in range(6):
        failing(f"B{n}")

    def reads(due):
        Escalation.objects.update(next_at=None)
        Escalation.objects.filter(pk__in=list(Escalation.objects.values_list("pk", flat=True)[:due])).update(
            next_at=timezone.now() - timedelta(minutes=1), taken=0)
        with CaptureQueriesContext(connection) as queries:
            assert escalation.take_due(lambda *a, **k: None, now=timezone.now()) == due
        routing_reads = [q["sql"] for q in queries.captured_queries
                         if q["sql"].startswith("SELECT") and '"routing_' in q["sql"].split(" WHERE ")[0]]
        return len(routing_reads)

    assert reads(1) == reads(6) == 2  # the due rows (joined to incident and route), and their routes' steps


def test_admins_mark_blueprints_and_see_routes_on_the_page(admin, operator, client):
    route("add", "--name", "paraplanning", "--blueprint", PARAPLANNING, "--user", "operator",
          "--escalate", "15:operators")
    incident = failing(PARAPLANNING)
    client.force_login(admin)
    page = client.get("/routing/routes/").content.decode()
    assert "paraplanning" in page and "after 15 min: everyone with the Operator role" in page
    response = client.post("/routing/routes/severity/", {"blueprint": PARAPLANNING, "severity": "critical"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "critical"  # open incidents rise at once
    assert AuditEvent.objects.filter(action="blueprint.severity", actor=admin).exists()
    client.force_login(operator)
    assert client.get("/routing/routes/").status_code == 403


def test_admins_add_a_route_on_the_page(admin, operator, client):
    client.force_login(admin)
    bad = client.post("/routing/routes/add/", {"name": "x", "escalate": "soon:operators"})
    assert bad.status_code == 200 and b"at least one channel or user" in bad.content
    response = client.post("/routing/routes/add/", {
        "name": "paraplanning", "blueprint": PARAPLANNING, "user": ["operator"],
        "escalate": "15:operators\n", "repeat_minutes": "10", "max_repeats": "2"})
    assert response.status_code == 302
    [row] = json.loads(route("list", "--json"))
    assert (row["name"], row["users"], row["repeat_minutes"]) == ("paraplanning", ["operator"], 10)
    assert row["escalation"] == [{"after_minutes": 15, "notify": "everyone with the Operator role"}]
    assert AuditEvent.objects.filter(action="route.create", actor=admin).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_rates_existing_incidents_by_their_clients(settings):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    settings.SEVERITY_CLIENT_THRESHOLDS = [10, 50]
    executor = MigrationExecutor(connection)
    before = [("incidents", "0005_structure_failure_kinds")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("incidents", "Incident")
    now = timezone.now()
    for clients in (1, 10, 50):
        old.objects.create(fingerprint=f"fp{clients}", family="failed", title="t", status_changed_at=now,
                           opened_at=now, first_seen=now, last_seen=now, clients=clients)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(Incident.objects.values_list("clients", "severity")) == {1: "normal", 10: "high", 50: "critical"}
