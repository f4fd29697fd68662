"""Text Plannr sends that a database cannot store, and executions that fail to apply.

One such execution must neither block its batch nor vanish: it is stored sanitised
(or recorded as invalid, with its error shown), the rest of the batch applies, and
no execution stays claimed.
"""

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from executions import polling
from executions.models import Execution, PollState, Snapshot, Step
from connections.clients import default_client
from plannr.text import REPLACEMENT, clean_text
from executions.signals import failures_detected
from tests.executions.polling_helpers import states, watch_all

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("redis_client")]

# Any code point, surrogates included, with the two that break storage made common.
_any_char = st.one_of(
    st.characters(exclude_categories=()),
    st.sampled_from(["\x00", "\ud800", "\udfff", "\udc00", "\u202e"]),
)
plannr_text = st.text(_any_char, max_size=40)


def stored(text):
    """What storing `text` should keep: JSON joins escaped surrogate pairs, the rest is replaced."""
    return clean_text(json.loads(json.dumps(text)))


@settings(
    max_examples=25, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=plannr_text, status=plannr_text, triggered_by=plannr_text, account_name=plannr_text,
    step_name=plannr_text, step_status=plannr_text, info=plannr_text,
    next_name=plannr_text, next_info=plannr_text,
)
def test_any_text_in_any_field_is_stored_and_never_blocks_the_batch(
    simulator, owner, name, status, triggered_by, account_name, step_name, step_status, info,
    next_name, next_info,
):
    Execution.objects.all().delete()
    poisoned = simulator.create_execution(
        name=name or "x", status=status, triggered_by=triggered_by,
        account={"first_name": account_name, "last_name": account_name},
        steps=[{"name": step_name or "x", "status": step_status, "info": info}],
        next_step={"name": next_name or "x", "info": next_info},
    )["uuid"]
    plain = simulator.create_many(2)
    watch_all(owner, [poisoned, *plain])

    outcome = polling.run_cycle()

    assert outcome.claimed == 3
    assert not Execution.objects.filter(claim_token__isnull=False).exists()
    rows = states([poisoned, *plain])
    assert {rows[u].poll_state for u in plain} == {PollState.OK}
    execution = rows[poisoned]
    assert execution.poll_state == PollState.OK, execution.last_poll_error
    # Stored sanitised, and nothing else about the text is lost.
    assert execution.name == stored(name or "x")[:500]
    assert execution.status == stored(status)[:100]
    assert execution.triggered_by == stored(triggered_by)[:255]
    assert execution.account_name.startswith(stored(account_name))
    step = Step.objects.get(execution=execution)
    assert (step.name, step.status, step.info) == (stored(step_name or "x"), stored(step_status), stored(info))
    assert execution.next_step["name"] == stored(next_name or "x")
    assert execution.next_step["info"] == stored(next_info)
    # The raw payload is kept faithfully whenever sanitising changed something.
    snapshot = Snapshot.objects.get(execution=execution)
    served = simulator.get(poisoned)
    if snapshot.raw_payload:
        assert json.loads(snapshot.raw_payload) == served
        assert REPLACEMENT in json.dumps(snapshot.payload, ensure_ascii=False)
    else:
        assert snapshot.payload == served


def test_an_execution_that_cannot_be_applied_is_invalid_with_its_error_shown_and_the_batch_applies(
    simulator, owner, client
):
    uuids = simulator.create_many(5)
    watch_all(owner, uuids)
    bad = uuids[2]

    def refuse(sender, execution, failures, **kwargs):
        if str(execution.uuid) == bad:
            raise ValueError("alert rows could not be written")

    for index in range(5):
        simulator.drive(uuids[index], update_steps={0: {"status": "failed"}})
    failures_detected.connect(refuse)
    try:
        polling.run_cycle()
    finally:
        failures_detected.disconnect(refuse)

    rows = states(uuids)
    assert not Execution.objects.filter(claim_token__isnull=False).exists()
    assert {u for u in uuids if rows[u].poll_state == PollState.OK} == set(uuids) - {bad}
    assert all(rows[u].is_failing for u in set(uuids) - {bad})
    failed = rows[bad]
    assert failed.poll_state == PollState.INVALID
    assert "alert rows could not be written" in failed.last_poll_error
    assert not failed.payload_hash and not Snapshot.objects.filter(execution=failed).exists()
    assert failed.next_poll_at is not None  # retried, with backoff

    client.force_login(owner)
    page = client.get(reverse("executions:detail", args=[bad])).content.decode()
    assert "Invalid response" in page and "alert rows could not be written" in page


def test_a_batch_task_that_raises_releases_its_claims(simulator, owner, monkeypatch):
    uuids = simulator.create_many(3)
    watch_all(owner, uuids)

    def crash(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(default_client(), "get_payloads", crash)
    with pytest.raises(RuntimeError):
        polling.run_cycle()
    rows = states(uuids)
    assert not Execution.objects.filter(claim_token__isnull=False).exists()
    assert all("internal error" in rows[u].last_poll_error for u in uuids)
    assert all(rows[u].next_poll_at is not None for u in uuids)
