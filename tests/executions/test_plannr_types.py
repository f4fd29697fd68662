"""Typed executions from Plannr payloads (plannr/types.py), seeds included."""

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plannr import InvalidPayload, PlannrAccount, PlannrExecution, PlannrStep
from plannr.types import normalise_uuid, parse_datetime

# Copies of /work/shared/plannr/seeds: captures of Plannr's documentation page.
SEEDS = Path(__file__).parent / "plannr_seeds"
MARKER = "Response examples (200)"
UTC = dt.timezone.utc


def seed_payloads():
    """The JSON after "Response examples (200)" in every seed capture."""
    payloads = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text()
        start = text.index("{", text.index(MARKER))
        payload, _ = json.JSONDecoder().raw_decode(text[start:])
        payloads.append((path.name, payload))
    return payloads


def step(**overrides):
    data = {
        "uuid": "785fccc7-206f-4361-b6f1-e5dd96bcd824",
        "created_at": "2026-06-08T16:08:03+01:00",
        "updated_at": "2026-06-08T16:08:03+01:00",
        "executed_at": "2026-06-08T16:08:03+01:00",
        "status": "completed",
        "info": "SMS queued",
        "name": "Send SMS",
    }
    data.update(overrides)
    return data


def execution(**overrides):
    data = {
        "uuid": "cc137447-a749-4b21-88a5-b27ef8b16878",
        "created_at": "2026-06-08T16:08:03+01:00",
        "updated_at": "2026-06-08T16:09:03+01:00",
        "status": "in_progress",
        "triggered_by": "client.created",
        "name": "Send client welcome pack",
        "steps": [step()],
        "next_step": None,
        "previous_step": step(),
    }
    data.update(overrides)
    return data


def test_both_seed_examples_parse_with_their_info():
    payloads = seed_payloads()
    assert len(payloads) == 2
    for name, payload in payloads:
        original = copy.deepcopy(payload)
        parsed = PlannrExecution.from_payload(payload)
        assert parsed.uuid == payload["uuid"], name
        assert parsed.status == "in_progress"
        assert parsed.triggered_by == "client.created"
        assert parsed.name == "Send client welcome pack to newly created client"
        assert len(parsed.steps) == 1
        for s in (parsed.steps[0], parsed.next_step, parsed.previous_step):
            assert s.status == "completed"
            assert s.name == "Send SMS"
            assert s.info.errors == ("the account_uuid field is required",), name
            assert s.info.raw == '"[{errors : "the account_uuid field is required" }]"'
            assert s.executed_at is not None and s.executed_at.tzinfo is not None
        assert parsed.payload == original
        assert parsed.payload is payload


def test_newer_seed_has_account_and_offsets():
    payloads = dict(seed_payloads())
    old, new = (PlannrExecution.from_payload(p) for _, p in sorted(payloads.items()))
    assert old.account is None
    assert old.created_at == dt.datetime(2025, 11, 17, 21, 14, 40, tzinfo=UTC)
    assert new.account == PlannrAccount(
        uuid="144ecd28-e927-4a4a-8a98-998c2f3f6e7f",
        name="Gareth Thompson",
        first_name="Gareth",
        last_name="Thompson",
        email="gareth@codepotato.co.uk",
        type="client",
    )
    assert new.created_at == dt.datetime(2026, 6, 8, 15, 8, 3, tzinfo=UTC)
    assert new.created_at.utcoffset() == dt.timedelta(hours=1)


def test_uuid_is_normalised_to_lowercase():
    parsed = PlannrExecution.from_payload(execution(uuid="  CC137447-A749-4B21-88A5-B27EF8B16878 "))
    assert parsed.uuid == "cc137447-a749-4b21-88a5-b27ef8b16878"
    assert parsed.payload["uuid"] == "  CC137447-A749-4B21-88A5-B27EF8B16878 "


@pytest.mark.parametrize(
    "payload",
    [None, [], "cc137447-a749-4b21-88a5-b27ef8b16878", 42, {}, {"uuid": None}, {"uuid": ""},
     {"uuid": "not-a-uuid"}, {"uuid": 12345}, {"uuid": ["cc137447-a749-4b21-88a5-b27ef8b16878"]}],
    ids=repr,
)
def test_payload_without_valid_uuid_is_invalid(payload):
    with pytest.raises(InvalidPayload) as caught:
        PlannrExecution.from_payload(payload)
    assert caught.value.status_code is None
    assert str(caught.value)


def test_minimal_payload_is_lenient():
    parsed = PlannrExecution.from_payload({"uuid": "cc137447-a749-4b21-88a5-b27ef8b16878", "extra": {"x": 1}})
    assert (parsed.name, parsed.status, parsed.triggered_by) == ("", "", "")
    assert parsed.created_at is None and parsed.updated_at is None
    assert parsed.steps == ()
    assert parsed.next_step is None and parsed.previous_step is None and parsed.account is None


def test_nulls_and_odd_types():
    parsed = PlannrExecution.from_payload(
        execution(name=None, status=7, triggered_by=None, steps=None, next_step="x", account="App\\Resource")
    )
    assert parsed.name == "" and parsed.status == "7" and parsed.triggered_by == ""
    assert parsed.steps == () and parsed.next_step is None and parsed.account is None


def test_unknown_statuses_are_kept_as_given():
    parsed = PlannrExecution.from_payload(execution(status="Paused_By_Admin", steps=[step(status="SKIPPED")]))
    assert parsed.status == "Paused_By_Admin"
    assert parsed.steps[0].status == "SKIPPED"


def test_bad_steps_are_skipped_not_fatal():
    steps = [
        step(uuid="11111111-1111-1111-1111-111111111111"),
        "not a step",
        None,
        step(uuid=None),
        {"name": "no uuid"},
        step(uuid="garbage"),
        step(uuid="22222222-2222-2222-2222-222222222222", info=None, executed_at=None),
    ]
    parsed = PlannrExecution.from_payload(execution(steps=steps, next_step=step(uuid=None)))
    assert [s.uuid for s in parsed.steps] == [
        "11111111-1111-1111-1111-111111111111",
        "22222222-2222-2222-2222-222222222222",
    ]
    assert parsed.steps[1].info.raw == "" and parsed.steps[1].executed_at is None
    assert parsed.next_step is None


def test_step_info_is_parsed():
    parsed = PlannrStep.from_payload(step(info='{"errors": ["mailbox full"]}'))
    assert parsed.info.has_errors
    assert parsed.info.errors == ("mailbox full",)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-06-08T16:08:03+01:00", dt.datetime(2026, 6, 8, 15, 8, 3, tzinfo=UTC)),
        ("2026-06-08T15:08:03Z", dt.datetime(2026, 6, 8, 15, 8, 3, tzinfo=UTC)),
        ("2026-06-08T15:08:03.250000Z", dt.datetime(2026, 6, 8, 15, 8, 3, 250000, tzinfo=UTC)),
        ("2026-06-08 16:08:03", dt.datetime(2026, 6, 8, 16, 8, 3, tzinfo=UTC)),
        ("2026-06-08T16:08:03-05:00", dt.datetime(2026, 6, 8, 21, 8, 3, tzinfo=UTC)),
        ("2026-06-08", dt.datetime(2026, 6, 8, tzinfo=UTC)),
        ("", None),
        ("yesterday", None),
        ("2026-13-45T99:00:00", None),
        (None, None),
        (1717859283, None),
        (["2026-06-08"], None),
    ],
)
def test_parse_datetime(text, expected):
    parsed = parse_datetime(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


def test_unparseable_datetimes_become_none():
    parsed = PlannrExecution.from_payload(execution(created_at="soon", updated_at=0))
    assert parsed.created_at is None and parsed.updated_at is None


def test_account_name_falls_back_to_first_and_last():
    account = PlannrAccount.from_payload({"first_name": "Ada", "last_name": "Lovelace", "name": None})
    assert account.name == "Ada Lovelace"
    assert account.uuid is None
    assert PlannrAccount.from_payload({"first_name": "Ada"}).name == "Ada"
    assert PlannrAccount.from_payload({}).name == ""


def test_normalise_uuid():
    assert normalise_uuid("CC137447A7494B2188A5B27EF8B16878") == "cc137447-a749-4b21-88a5-b27ef8b16878"
    assert normalise_uuid("{cc137447-a749-4b21-88a5-b27ef8b16878}") == "cc137447-a749-4b21-88a5-b27ef8b16878"
    assert normalise_uuid("x" * 1000) is None
    assert normalise_uuid(None) is None


def test_types_are_frozen_and_hashable():
    parsed = PlannrExecution.from_payload(execution())
    with pytest.raises(AttributeError):
        parsed.status = "failed"
    assert hash(parsed.steps[0]) == hash(PlannrStep.from_payload(step()))
    assert hash(parsed) == hash(PlannrExecution.from_payload(execution()))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(list(step()) + ["steps", "next_step", "previous_step", "account", "first_name"]),
        children,
        max_size=4,
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(list(execution()) + ["account"]), json_values, max_size=6))
def test_fuzz_any_fields_with_a_valid_uuid_parse(fields):
    fields["uuid"] = "CC137447-A749-4B21-88A5-B27EF8B16878"
    parsed = PlannrExecution.from_payload(fields)
    assert parsed.uuid == "cc137447-a749-4b21-88a5-b27ef8b16878"
    assert parsed.payload is fields
    assert all(isinstance(s, PlannrStep) for s in parsed.steps)
    assert isinstance(parsed.status, str) and isinstance(parsed.name, str)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_fuzz_anything_parses_or_is_invalid_payload(value):
    try:
        PlannrExecution.from_payload(value)
    except InvalidPayload:
        pass
