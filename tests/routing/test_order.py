"""Reordering routes: the page's Move up / Move down and `route move` decide which route matches first."""

import threading

import pytest
from django.core.management import CommandError
from django.db import connection, connections, transaction

from audit.models import AuditEvent
from routing import routes
from routing.matching import route_for
from routing.models import Route
from tests.routing.test_routes import PARAPLANNING, failing, route
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db


def add(name, *conditions):
    return int(route("add", "--name", name, *conditions, "--user", "owner").split()[1])


def order():
    return list(Route.objects.values_list("pk", flat=True))


def test_the_page_buttons_change_which_route_matches_first(admin, owner, client):
    blueprint = add("paraplanning", "--blueprint", PARAPLANNING)
    failures = add("all failures", "--family", "failed")
    incident = failing(PARAPLANNING)  # matches both
    assert route_for(incident, []).pk == blueprint

    client.force_login(admin)
    page = client.get("/routing/routes/").content.decode()
    # The first route can only go down, the last only up.
    assert page.count('name="direction" value="up"') == page.count('name="direction" value="down"') == 1
    assert f'aria-label="Move up: route {failures}"' in page and f'aria-label="Move down: route {blueprint}"' in page
    response = client.post(f"/routing/routes/{failures}/move/", {"direction": "up"}, follow=True)
    assert f"Route {failures} is now number 1." in response.content.decode()
    assert route_for(incident, []).pk == failures
    event = AuditEvent.objects.get(action="route.move", actor=admin)
    assert (event.target, event.before, event.after) == (
        f"route:{failures}", {"place": 2}, {"place": 1, "order": [failures, blueprint]})

    client.post(f"/routing/routes/{failures}/move/", {"direction": "down"})
    assert route_for(incident, []).pk == blueprint
    # Already last: nothing moves, and the page says why.
    response = client.post(f"/routing/routes/{failures}/move/", {"direction": "down"}, follow=True)
    assert "cannot move there" in response.content.decode() and order() == [blueprint, failures]
    assert client.post(f"/routing/routes/{failures}/move/", {"direction": "sideways"}).status_code == 400
    assert client.post("/routing/routes/987654/move/", {"direction": "up"}).status_code == 404


def test_viewers_and_operators_cannot_reorder(owner, operator, client):
    first, second = add("a", "--family", "failed"), add("b", "--family", "stalled")
    for user in (owner, operator):  # owner has no role beyond Viewer
        client.force_login(user)
        assert client.post(f"/routing/routes/{second}/move/", {"direction": "up"}).status_code == 403
    assert order() == [first, second]
    assert not AuditEvent.objects.filter(action="route.move").exists()


def test_route_move_prints_the_new_order(owner):
    a, b, c = add("a", "--family", "failed"), add("b", "--family", "stalled"), add("c", "--family", "late")
    assert route("move", str(c), "--to", "1") == f"1. route {c} c\n2. route {a} a\n3. route {b} b\n"
    assert route("move", str(c), "--down").splitlines()[:2] == [f"1. route {a} a", f"2. route {c} c"]
    assert route("move", str(a), "--down").splitlines()[:2] == [f"1. route {c} c", f"2. route {a} a"]
    assert route("move", str(b), "--up").splitlines() == [f"1. route {c} c", f"2. route {b} b", f"3. route {a} a"]
    assert list(Route.objects.values_list("position", flat=True)) == [0, 1, 2]
    assert AuditEvent.objects.filter(action="route.move", actor_name="manage.py route").count() == 4


@pytest.mark.parametrize("args, message", [
    (["987654", "--up"], "No route 987654: `manage.py route list` shows the routes."),
    (["{a}", "--up"], "cannot move there: there are 2 routes, and it is number 1"),
    (["{b}", "--to", "3"], "cannot move there"),
    (["{b}", "--to", "0"], "cannot move there"),
])
def test_route_move_says_what_is_wrong(owner, args, message):
    ids = {"a": add("a", "--family", "failed"), "b": add("b", "--family", "stalled")}
    with pytest.raises(CommandError, match=message.replace("`", ".").replace("(", r"\(")):
        route("move", *[arg.format(**ids) for arg in args])
    assert order() == [ids["a"], ids["b"]]


def test_route_move_needs_a_direction(owner):
    with pytest.raises(CommandError, match="one of the arguments --up --down --to is required"):
        route("move", "1")


def _waiting_on_a_lock():
    with connection.cursor() as cursor:
        # Activity is read once per transaction unless the snapshot is cleared (this one is open).
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = "
                       "current_database()")
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_movers_at_once_take_turns(owner):
    """A second mover waits for the first's lock, then moves from the first's result: the
    positions stay distinct and both moves count."""
    if connection.vendor != "postgresql":  # SQLite has no row locks to wait on; CI runs PostgreSQL
        pytest.skip("two movers taking turns needs PostgreSQL's row locks: set DATABASE_URL=postgres://...")
    a, b, c = add("a", "--family", "failed"), add("b", "--family", "stalled"), add("c", "--family", "late")
    result = {}

    def second_mover():
        try:
            result["order"] = [r.pk for r in routes.move(c, to=1)]
        finally:
            connections.close_all()

    with transaction.atomic():
        # The first mover holds the locks while the second starts.
        list(Route.objects.select_for_update().order_by("position", "id"))
        thread = threading.Thread(target=second_mover)
        thread.start()
        wait_for(_waiting_on_a_lock, timeout=10, message="the second mover waits on the first's lock")
        assert "order" not in result
        routes.move(a, by=1)  # b, a, c
    thread.join(timeout=10)
    assert result["order"] == [c, b, a] == order()
    assert list(Route.objects.values_list("position", flat=True)) == [0, 1, 2]
