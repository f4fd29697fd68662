"""Custom redaction rules: the command, the Admins' page, the cache that follows changes."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from privacy.models import RedactionRule
from privacy.redaction import redact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(redis_client):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_the_command_adds_rules_with_each_action_and_they_apply_at_once():
    assert redact("policy PN-123456 for case CASE/99") == "policy PN-123456 for case CASE/99"
    out = io.StringIO()
    call_command("redaction", "add", "--name", "policy", "--pattern", r"PN-\d{6}", stdout=out)
    assert "Added rule 'policy' (mask)" in out.getvalue()
    assert redact("policy PN-123456") == "policy [policy]"
    call_command("redaction", "add", "--name", "case", "--pattern", r"CASE/\d+", "--action", "remove",
                 stdout=io.StringIO())
    assert redact("case CASE/99.") == "case ."
    call_command("redaction", "add", "--name", "ref", "--pattern", r"REF\d+", "--action", "hash",
                 stdout=io.StringIO())
    hashed = redact("REF1 REF1 REF2").split()
    assert hashed[0] == hashed[1] != hashed[2] and hashed[0].startswith("[ref:") and "REF1" not in hashed[0]
    # A change is seen at the next redaction (the compiled rules are cached until then).
    RedactionRule.objects.filter(name="policy").delete()
    assert redact("policy PN-123456") == "policy PN-123456"


@pytest.mark.parametrize("pattern, message", [
    ("PN-(\\d", "Not a valid regular expression"),
    ("x*", "matches the empty text"),
])
def test_the_command_refuses_a_bad_pattern_with_a_clear_error(pattern, message):
    with pytest.raises(CommandError, match=message):
        call_command("redaction", "add", "--name", "bad", "--pattern", pattern)
    assert not RedactionRule.objects.exists()


def test_the_rules_page_is_for_admins_and_adds_and_removes_rules(client, admin, operator):
    client.force_login(operator)
    assert client.get("/privacy/rules/").status_code == 403
    client.force_login(admin)
    assert client.get("/privacy/rules/").status_code == 200
    bad = client.post("/privacy/rules/", {"name": "x", "pattern": "(", "action": "mask"})
    assert bad.status_code == 400 and "Not a valid regular expression" in bad.content.decode()
    assert client.post("/privacy/rules/", {"name": "policy", "pattern": r"PN-\d{6}", "action": "mask"}).status_code == 302
    assert redact("PN-123456") == "[policy]"
    rule = RedactionRule.objects.get()
    assert client.post(f"/privacy/rules/{rule.pk}/delete/").status_code == 302
    assert redact("PN-123456") == "PN-123456"
