"""The Connections page: add (token, or "Connect with Plannr"), choose the account, test,
rename, rotate, pause, delete (saying how many executions, asking what happens to them)."""

from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from connections.models import Connection
from executions.models import Execution
from executions.watching import watch_executions
from expectations.models import Expectation
from tests.expectations.builders import blueprint_monitor, deadline
from tests.fixtures.simulator import OAUTH_CLIENT, SECOND_TOKEN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

OTHER_FIRM = ({"uuid": "0b5e5e1e-3333-4333-8333-333333333333", "type": "employee", "name": "Other",
               "email": "o@x"}, {"name": "Other Firm"})


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def add(client, simulator, name="acme", token=None, **extra):
    return client.post(reverse("connections:add"), {
        "name": name, "base_url": simulator.url, "token": token or simulator.token, **extra,
    })


def test_add_with_a_token_tests_it_and_never_shows_it(admin_client, simulator):
    response = add(admin_client, simulator, expires_at="2027-03-01")
    assert response.status_code == 302
    acme = Connection.objects.get(name="acme")
    assert str(acme.account_uuid) == simulator.account_uuid and str(acme.expires_at) == "2027-03-01"
    page = admin_client.get(reverse("connections:list")).content.decode()
    assert "Simulated Financial Planning Ltd" in page and simulator.token not in page


def test_a_refused_token_is_not_stored_and_plannrs_answer_is_shown(admin_client, simulator):
    response = add(admin_client, simulator, token="wrong-token")
    assert response.status_code == 302
    assert not Connection.objects.filter(name="acme").exists()
    page = admin_client.get(reverse("connections:list")).content.decode()
    assert "Unauthenticated." in page and "wrong-token" not in page


def test_several_accounts_lead_to_a_choice_from_the_list(admin_client, simulator):
    simulator.user.preferred = None
    simulator.user.extra_logins.append(OTHER_FIRM)
    response = add(admin_client, simulator)
    assert response.url == reverse("connections:choose")
    page = admin_client.get(response.url).content.decode()
    assert "Other Firm" in page and "Simulated Financial Planning Ltd" in page and simulator.token not in page
    assert not Connection.objects.filter(name="acme").exists()
    admin_client.post(reverse("connections:choose"), {"account": OTHER_FIRM[0]["uuid"]})
    assert str(Connection.objects.get(name="acme").account_uuid) == OTHER_FIRM[0]["uuid"]


def test_rename_rotate_pause_and_test(admin_client, simulator):
    add(admin_client, simulator)
    acme = Connection.objects.get(name="acme")
    admin_client.post(reverse("connections:rename", args=[acme.pk]), {"name": "acme-live"})
    acme.refresh_from_db()
    assert acme.name == "acme-live"
    simulator.server.tokens = [simulator.token, "rotated-token"]
    admin_client.post(reverse("connections:rotate", args=[acme.pk]), {"token": "rotated-token"})
    acme.refresh_from_db()
    assert acme.token() == "rotated-token" and str(acme.account_uuid) == simulator.account_uuid
    admin_client.post(reverse("connections:pause", args=[acme.pk]), {"paused": "1"})
    assert Connection.objects.get(pk=acme.pk).paused
    assert not Connection.objects.pollable().filter(pk=acme.pk).exists()
    simulator.server.tenancy.revoke(simulator.user)
    admin_client.post(reverse("connections:test", args=[acme.pk]))
    page = admin_client.get(reverse("connections:list")).content.decode()
    assert "it does not work" in page and "broken since" in page


def test_delete_says_how_many_and_moves_or_deletes_them(admin_client, simulator, admin):
    add(admin_client, simulator)
    add(admin_client, simulator, name="beta", token=SECOND_TOKEN)
    acme, beta = Connection.objects.get(name="acme"), Connection.objects.get(name="beta")
    watch_executions(admin, simulator.create_many(2), connection=acme)
    blueprint_monitor(connection=acme)
    expectation = deadline(connection=acme)
    page = admin_client.get(reverse("connections:delete", args=[acme.pk])).content.decode()
    assert "<strong>2</strong> execution(s)" in page
    assert "Move them (and its monitors and expectations) to beta" in page
    admin_client.post(reverse("connections:delete", args=[acme.pk]), {"executions": str(beta.pk)})
    assert not Connection.objects.filter(name="acme").exists()
    assert Execution.objects.filter(connection=beta).count() == 2
    expectation.refresh_from_db()
    assert expectation.connection == beta
    admin_client.post(reverse("connections:delete", args=[beta.pk]), {"executions": "delete"})
    assert not Execution.objects.filter(connection=beta).exists()
    assert not Expectation.objects.exists()


def test_connect_with_plannr_runs_the_oauth_code_flow(admin_client, simulator, settings):
    settings.PLANNR_OAUTH_CLIENT_ID, settings.PLANNR_OAUTH_CLIENT_SECRET = OAUTH_CLIENT
    assert "Connect with Plannr" in admin_client.get(reverse("connections:list")).content.decode()
    start = admin_client.post(reverse("connections:oauth_start"), {"name": "oauth", "base_url": simulator.url})
    assert start.url.startswith(simulator.url + "/oauth/authorize?")
    back = requests.get(start.url, allow_redirects=False, timeout=5).headers["Location"]
    parts = urlsplit(back)
    assert parts.path == reverse("connections:oauth_callback")
    admin_client.get(f"{parts.path}?{parts.query}")
    connection = Connection.objects.get(name="oauth")
    assert connection.auth_kind == "oauth" and connection.refresh_token()
    assert str(connection.account_uuid) == simulator.account_uuid
    # A callback whose state matches nothing is refused.
    admin_client.get(f"{parts.path}?code=x&state=forged")
    assert Connection.objects.filter(auth_kind="oauth").count() == 1


def test_viewers_and_operators_cannot_see_connections(client, operator):
    client.force_login(operator)
    assert client.get(reverse("connections:list")).status_code == 403


def test_the_execution_page_names_the_connection_says_it_is_broken_and_links_out(admin_client, simulator, admin):
    add(admin_client, simulator)
    acme = Connection.objects.get(name="acme")
    [uuid] = simulator.create_many(1)
    watch_executions(admin, [uuid], connection=acme)
    url = reverse("executions:detail", args=[uuid])
    page = admin_client.get(url).content.decode()
    assert 'id="execution-connection">acme<' in page  # `default` exists too: more than one
    assert "Open in Plannr" not in page  # no template: no link
    admin_client.post(reverse("connections:links", args=[acme.pk]), {
        "execution_url_template": "https://app.plannr.example/automations/{execution_uuid}",
        "client_url_template": "https://app.plannr.example/clients/{client_uuid}",
    })
    from connections import services
    from django.utils import timezone

    services.mark_broken(acme.pk, "Unauthenticated.", timezone.now())
    page = admin_client.get(url).content.decode()
    assert f'href="https://app.plannr.example/automations/{uuid}"' in page
    assert "connection acme broken since" in page


def test_a_monitor_is_added_for_the_chosen_connection_when_there_are_several(admin_client, simulator):
    from monitors.models import Monitor

    assert "Plannr connection" not in admin_client.get(reverse("monitors:new")).content.decode()
    add(admin_client, simulator, name="beta", token=SECOND_TOKEN)
    page = admin_client.get(reverse("monitors:new")).content.decode()
    assert "Plannr connection" in page and ">beta<" in page
    admin_client.post(reverse("monitors:new"), {"scope": "everything", "name": "Beta's", "connection": "beta"})
    assert Monitor.objects.get(name="Beta's").connection.name == "beta"


def test_pasted_uuids_are_watched_on_the_chosen_connection_when_there_are_several(admin_client, simulator):
    watchlist = admin_client.get(reverse("executions:watchlist")).content.decode()
    assert "Plannr connection" not in watchlist
    add(admin_client, simulator, name="beta", token=SECOND_TOKEN)
    assert "Plannr connection" in admin_client.get(reverse("executions:watchlist")).content.decode()
    [uuid] = [simulator.second_user.world.create_execution()["uuid"]]
    admin_client.post(reverse("executions:add"), {"uuids": uuid, "connection": "beta"})
    assert Execution.objects.get(uuid=uuid).connection.name == "beta"
