"""Choosing the account from /api/v1/logins: every rule of issue 19, over real HTTP too."""

import pytest

from connections import services
from connections.accounts import AccountChoiceError, choose_account


def login(uuid, type_="employee", name="A", firm="F", **extra):
    return {"uuid": f"login-{uuid}", "account": {"uuid": uuid, "type": type_, "name": name},
            "firm": {"name": firm}, **extra}


def test_preferred_at_the_top_level_wins():
    body = {"data": [login("a"), login("b")], "preferred_account_uuid": "B"}
    assert choose_account(body).uuid == "b"


def test_preferred_on_a_login_wins():
    body = {"data": [login("a"), login("b", "client", preferred_account_uuid="b")]}
    assert choose_account(body).uuid == "b"


def test_without_preference_the_one_firm_login_is_used():
    body = {"data": [login("c", "client"), login("a", "employee", name="Ann", firm="Acme")]}
    chosen = choose_account(body)
    assert (chosen.uuid, chosen.name, chosen.firm) == ("a", "Ann", "Acme")


def test_several_firm_logins_are_refused_with_the_list():
    body = {"data": [login("a", firm="Acme"), login("b", firm="Beta"), login("c", "client")]}
    with pytest.raises(AccountChoiceError) as caught:
        choose_account(body)
    assert [a.uuid for a in caught.value.accounts] == ["a", "b", "c"]
    assert "Acme" in str(caught.value) and "Beta" in str(caught.value)


def test_only_client_logins_are_refused():
    with pytest.raises(AccountChoiceError):
        choose_account({"data": [login("c", "client"), login("d", "client")]})
    with pytest.raises(AccountChoiceError, match="no logins"):
        choose_account({"data": []})


def test_the_person_can_always_choose_and_only_among_the_tokens_accounts():
    body = {"data": [login("a"), login("c", "client")], "preferred_account_uuid": "a"}
    assert choose_account(body, explicit="C").uuid == "c"
    with pytest.raises(AccountChoiceError, match="not one of"):
        choose_account(body, explicit="zzz")


def test_a_preference_naming_no_listed_account_falls_back_to_the_rules():
    body = {"data": [login("a"), login("c", "client")], "preferred_account_uuid": "gone"}
    assert choose_account(body).uuid == "a"


@pytest.mark.usefixtures("redis_client")
def test_over_http_each_way_the_simulator_can_answer(simulator):
    user = simulator.user
    firm, client = user.account_uuid, user.client_account["uuid"]
    user.preferred_account_uuid = client
    assert services.probe(simulator.url, simulator.token)[0].uuid == client  # preferred, top level
    user.preferred = "login"
    assert services.probe(simulator.url, simulator.token)[0].uuid == client  # preferred, on the login
    user.preferred = None
    assert services.probe(simulator.url, simulator.token)[0].uuid == firm  # the one firm login
    user.extra_logins.append(({"uuid": "0b5e5e1e-1111-4111-8111-111111111111", "type": "employee",
                               "name": "Other", "email": "o@x"}, {"name": "Other Firm"}))
    with pytest.raises(services.ConnectError, match="choose one") as caught:
        services.probe(simulator.url, simulator.token)
    assert "Other Firm" in str(caught.value) and firm in str(caught.value)
    assert services.probe(simulator.url, simulator.token, account=firm)[0].uuid == firm
