"""Secrets at rest: encrypted under FIELD_ENCRYPTION_KEYS, rotatable, never in a repr."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from dashboard import crypto
from channels.models import Channel, Kind

from tests.channels.builders import SLACK_SECRET_PATH, make_channel

pytestmark = pytest.mark.django_db

SLACK_URL = f"https://hooks.slack.com{SLACK_SECRET_PATH}"


def raw_row(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM channels_channel WHERE id = %s", [pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_the_url_and_signing_secret_are_encrypted_at_rest(owner):
    channel = make_channel(owner, Kind.WEBHOOK, SLACK_URL)
    row = raw_row(channel.pk)
    assert "XyZsecretSlackToken123" not in row
    assert channel.signing_secret not in row
    assert "hooks.slack.com/…" in row  # the masked display is all that is in clear
    fresh = Channel.objects.get(pk=channel.pk)
    assert fresh.target == SLACK_URL and fresh.signing_secret.startswith("whsec_")
    assert "XyZ" not in repr(fresh) and "XyZ" not in str(fresh)


def test_rotation_re_encrypts_every_row_under_the_new_key(owner, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    channel = make_channel(owner, Kind.WEBHOOK, SLACK_URL)
    secret = channel.signing_secret
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]  # new first, old still listed
    call_command("channel", "rotate", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    fresh = Channel.objects.get(pk=channel.pk)
    assert fresh.target == SLACK_URL and fresh.signing_secret == secret


def test_a_removed_key_gives_a_clear_error_without_the_secret(owner, settings):
    channel = make_channel(owner, Kind.SLACK, SLACK_URL)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.UndecryptableSecret) as caught:
        Channel.objects.get(pk=channel.pk).target
    assert "FIELD_ENCRYPTION_KEYS" in str(caught.value) and "XyZ" not in str(caught.value)


def test_a_malformed_key_names_the_variable_not_the_value(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key-but-secret-looking"]
    with pytest.raises(Exception) as caught:
        crypto.encrypt("x")
    assert "FIELD_ENCRYPTION_KEYS" in str(caught.value)
    assert "not-a-key-but-secret-looking" not in str(caught.value)
