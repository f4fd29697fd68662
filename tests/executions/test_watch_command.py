"""`manage.py watch --user NAME UUID...`"""

import uuid

import pytest
from django.core.management import CommandError, call_command

from executions.models import Execution, Watch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]


def test_adds_watches_and_reports_the_already_watched(owner, capsys, django_capture_on_commit_callbacks):
    first, second = uuid.uuid4(), uuid.uuid4()
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("watch", "--user", "owner", "--label", "welcome packs", str(first), str(second))
    assert len(callbacks) == 1  # one poll_now for the new executions, after commit
    assert set(Watch.objects.filter(user=owner).values_list("execution__uuid", flat=True)) == {first, second}
    assert set(Watch.objects.values_list("label", flat=True)) == {"welcome packs"}
    assert all(e.next_poll_at is not None for e in Execution.objects.all())

    call_command("watch", "--user", "owner", str(first))
    assert f"already watched {first}" in capsys.readouterr().out
    assert Watch.objects.count() == 2


def test_invalid_uuids_are_named_and_valid_ones_still_added(owner, capsys):
    good = uuid.uuid4()
    with pytest.raises(CommandError, match="1 invalid UUID"):
        call_command("watch", "--user", "owner", "not-a-uuid", str(good))
    assert "not a UUID: 'not-a-uuid'" in capsys.readouterr().err
    assert Watch.objects.filter(execution__uuid=good).exists()


def test_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("watch", "--user", "nobody", str(uuid.uuid4()))


def test_a_plannr_link_is_watched_as_the_uuid_in_it(owner):
    execution = uuid.uuid4()
    call_command("watch", "--user", "owner", f"https://app.plannrcrm.com/automations/executions/{execution}?tab=steps")
    assert list(Watch.objects.values_list("execution__uuid", flat=True)) == [execution]
