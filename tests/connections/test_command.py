"""`manage.py plannr connect | connections | test`: the contract other tools rely on."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connections.models import Connection
from tests.fixtures.simulator import SECOND_TOKEN

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def run(*args):
    out = StringIO()
    call_command("plannr", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def token_file(tmp_path):
    def write(token):
        path = tmp_path / "token"
        path.write_text(token + "\n")
        return str(path)

    return write


def test_connect_tests_first_then_prints_the_account(simulator, token_file):
    out = run("connect", "--name", "acme", "--token-file", token_file(simulator.token),
              "--base-url", simulator.url, "--expires", "2027-01-31")
    assert out.strip() == (
        f"connection acme account {simulator.account_uuid} (Sim Admin, Simulated Financial Planning Ltd)"
    )
    stored = Connection.objects.get(name="acme")
    assert stored.token() == simulator.token and simulator.token not in stored.token_encrypted
    assert str(stored.expires_at) == "2027-01-31"
    # The same name again updates it: here to the second user's token and account.
    run("connect", "--name", "acme", "--token-file", token_file(SECOND_TOKEN), "--base-url", simulator.url)
    assert Connection.objects.filter(name="acme").count() == 1
    assert str(Connection.objects.get(name="acme").account_uuid) == simulator.second_user.account_uuid


def test_connect_stores_nothing_when_refused_or_ambiguous(simulator, token_file):
    with pytest.raises(CommandError, match="refused"):
        run("connect", "--name", "bad", "--token-file", token_file("not-a-token"), "--base-url", simulator.url)
    simulator.user.preferred = None
    simulator.user.extra_logins.append(({"uuid": "0b5e5e1e-2222-4222-8222-222222222222", "type": "employee",
                                         "name": "Other", "email": "o@x"}, {"name": "Other Firm"}))
    with pytest.raises(CommandError, match="choose one"):
        run("connect", "--name", "two", "--token-file", token_file(simulator.token), "--base-url", simulator.url)
    assert not Connection.objects.filter(name__in=["bad", "two"]).exists()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("connect", "--name", "x", "--token-file", token_file(simulator.token), "--expires", "31/01/2027")


def test_connections_json_has_the_contracts_fields(simulator, token_file):
    run("connect", "--name", "acme", "--token-file", token_file(simulator.token), "--base-url", simulator.url)
    rows = json.loads(run("connections", "--json"))
    acme = next(r for r in rows if r["name"] == "acme")
    assert set(acme) == {"id", "name", "account_uuid", "account_name", "firm", "state", "broken_since",
                         "last_success", "expires_at", "budget_remaining"}
    assert acme["state"] == "ok" and acme["firm"] == "Simulated Financial Planning Ltd"
    assert acme["budget_remaining"] is not None and acme["broken_since"] is None
    assert "acme" in run("connections")
    assert simulator.token not in run("connections", "--json") + run("connections")


def test_test_exits_zero_when_it_works_and_non_zero_when_refused(simulator, token_file):
    run("connect", "--name", "acme", "--token-file", token_file(simulator.token), "--base-url", simulator.url)
    assert "connection acme account" in run("test", "acme")
    simulator.server.tenancy.revoke(simulator.user)
    with pytest.raises(CommandError, match="does not work"):
        run("test", "acme")
    assert Connection.objects.get(name="acme").state() == "broken"
    with pytest.raises(CommandError, match="no connection named"):
        run("test", "nope")
