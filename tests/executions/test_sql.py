"""executions/sql.py on the engine the suite runs on (CI: PostgreSQL; `make test`: SQLite)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from executions import sql
from executions.models import Execution, FinishedClaim, PollState, Snapshot, Step

pytestmark = pytest.mark.django_db


def make(n, now, **fields):
    return Execution.objects.bulk_create(
        [Execution(uuid=uuid.uuid4(), next_poll_at=now - timedelta(seconds=n - i), **fields) for i in range(n)]
    )


def test_claim_takes_due_unclaimed_rows_oldest_first_in_batches_with_a_token_each():
    now = timezone.now()
    rows = make(5, now, payload_hash="h", status="in_progress")
    Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=now + timedelta(seconds=5))  # not due
    held = Execution.objects.create(uuid=uuid.uuid4(), next_poll_at=now, claim_token=uuid.uuid4(),
                                    claimed_until=now + timedelta(seconds=30))
    until = now + timedelta(seconds=40)
    oldest, claimed = sql.claim(now=now, until=until, batch_size=2, limit=4)
    assert [len(batch) for _, batch in claimed] == [2, 2]
    assert len({token for token, _ in claimed}) == 2
    ids = [row[0] for _, batch in claimed for row in batch]
    assert ids == [e.pk for e in rows[:4]]
    first = claimed[0][1][0]
    assert dict(zip(sql.CLAIM_COLUMNS, first)) == {
        "id": rows[0].pk, "uuid": str(rows[0].uuid), "status": "in_progress", "poll_state": "not_polled",
        "is_finished": False, "payload_hash": "h", "consecutive_errors": 0,
    }
    assert abs((oldest - rows[0].next_poll_at).total_seconds()) < 0.001
    for token, batch in claimed:
        stored = Execution.objects.claimed_by(token)
        assert sorted(stored.values_list("pk", flat=True)) == sorted(row[0] for row in batch)
        assert {e.claimed_until for e in stored} == {until}
    # Without `reschedule` the schedule is left alone.
    assert Execution.objects.get(pk=rows[0].pk).next_poll_at == rows[0].next_poll_at
    # What is claimed, or not due, is not claimed again; the fifth still is.
    _, again = sql.claim(now=now, until=until, batch_size=2)
    assert [[row[0] for row in batch] for _, batch in again] == [[rows[4].pk]]
    assert held.pk not in ids
    assert sql.claim(now=now, until=until, batch_size=2) == (None, [])


def test_a_claim_that_reschedules_writes_what_a_routine_poll_would():
    now = timezone.now()
    polled, new = make(2, now, payload_hash="h", status="in_progress")
    Execution.objects.filter(pk=polled.pk).update(poll_state=PollState.OK)
    reschedule = now + timedelta(seconds=15)
    _, [(token, _)] = sql.claim(now=now, until=now + timedelta(seconds=40), batch_size=200, reschedule=reschedule)
    polled, new = Execution.objects.get(pk=polled.pk), Execution.objects.get(pk=new.pk)
    assert (polled.claim_token, polled.next_poll_at, polled.last_polled_at) == (token, reschedule, now)
    # Never polled: it is not said to be polled before it is.
    assert (new.next_poll_at, new.last_polled_at) == (reschedule, None)


def test_a_row_whose_batch_finished_is_claimable_before_its_claim_ends():
    now = timezone.now()
    finished, running = make(2, now)
    for execution in (finished, running):
        token = uuid.uuid4()
        Execution.objects.filter(pk=execution.pk).update(claim_token=token, claimed_until=now + timedelta(seconds=40))
        if execution is finished:
            FinishedClaim.objects.create(token=token, finished_at=now)
    assert list(Execution.objects.unclaimed(now)) == [finished] and list(Execution.objects.in_flight(now)) == [running]
    _, claimed = sql.claim(now=now, until=now + timedelta(seconds=40), batch_size=200)
    assert [[row[0] for row in batch] for _, batch in claimed] == [[finished.pk]]


def test_claim_of_given_ids_ignores_the_schedule_but_not_other_claims():
    now = timezone.now()
    free, taken = make(2, now + timedelta(seconds=60))
    Execution.objects.filter(pk=taken.pk).update(claim_token=uuid.uuid4(), claimed_until=now + timedelta(seconds=9))
    _, claimed = sql.claim(now=now, until=now + timedelta(seconds=9), batch_size=200, ids=[free.pk, taken.pk])
    assert [[row[0] for row in batch] for _, batch in claimed] == [[free.pk]]
    assert sql.claim(now=now, until=now, batch_size=200, ids=[]) == (None, [])


def test_rows_are_written_and_upserted_set_based_with_json_times_and_uuids():
    now = timezone.now()
    [execution] = make(1, now)
    step_uuid = uuid.uuid4()
    step = {"execution_id": execution.pk, "uuid": step_uuid, "position": 0, "name": "Send SMS", "status": "pending",
            "info": "", "messages": [], "failure_kind": "", "executed_at": None, "remote_created_at": now,
            "remote_updated_at": now}
    sql.insert_rows(Step, [step])
    sql.insert_rows(Step, [{**step, "status": "failed", "messages": ["it's \"quoted\" é"]}],
                    conflict=("execution_id", "uuid"), update=("status", "messages"))
    stored = Step.objects.get()
    assert (stored.uuid, stored.status, stored.messages, stored.remote_created_at) == (
        step_uuid, "failed", ["it's \"quoted\" é"], now)

    payload = {"uuid": str(execution.uuid), "steps": [{"info": "a\\b \"c\""}], "n": 1.5, "none": None}
    sql.insert_rows(Snapshot, [{"execution_id": execution.pk, "fetched_at": now, "payload": payload,
                                "raw_payload": "", "payload_hash": "x", "changes": [{"kind": "status"}]}])
    assert Snapshot.objects.get().payload == payload



def test_states_are_written_only_where_the_claim_holds_and_bump_the_version():
    now = timezone.now()
    mine, lost = make(2, now)
    token = uuid.uuid4()
    Execution.objects.filter(pk=mine.pk).update(claim_token=token, version=4)
    Execution.objects.filter(pk=lost.pk).update(claim_token=uuid.uuid4())
    state = {"name": "Welcome", "next_step": {"name": "n"}, "account_uuid": token, "last_polled_at": now,
             "claim_token": None, "is_failing": True, "steps_count": 3}
    versions = sql.write_states([{"id": mine.pk, **state}, {"id": lost.pk, **state}], token)
    assert versions == {mine.pk: 5}
    mine.refresh_from_db()
    assert (mine.name, mine.next_step, mine.account_uuid, mine.last_polled_at, mine.is_failing, mine.steps_count,
            mine.version, mine.claim_token) == ("Welcome", {"name": "n"}, token, now, True, 3, 5, None)
    assert Execution.objects.get(pk=lost.pk).name == ""
    # Without a claim (a payload applied outside a poll), any row is written.
    assert sql.write_states([{"id": lost.pk, **state}], None) == {lost.pk: 1}


def test_a_batch_is_finished_once_however_often_it_says_so():
    token, now = uuid.uuid4(), timezone.now()
    sql.finish_claim(token, now)
    sql.finish_claim(token, now + timedelta(seconds=5))  # a redelivered batch
    assert list(FinishedClaim.objects.values_list("token", "finished_at")) == [(token, now)]


def test_new_rows_are_copied_and_still_counted_as_one_statement(django_assert_num_queries):
    now = timezone.now()
    [execution] = make(1, now)
    payload = {"uuid": str(execution.uuid), "text": "tab\tnew line\n back\\slash 'quote' \"dq\" é", "none": None}
    with django_assert_num_queries(1):
        sql.insert_rows(Snapshot, [{"execution_id": execution.pk, "fetched_at": now, "payload": payload,
                                    "raw_payload": "a\tb\\c", "payload_hash": "x", "changes": []}
                                   for _ in range(3)])
    assert [(s.payload, s.raw_payload, s.fetched_at) for s in Snapshot.objects.all()] == [(payload, "a\tb\\c", now)] * 3


def test_rows_read_back_as_the_orm_gives_them():
    now = timezone.now()
    [execution] = make(1, now)
    step = {"execution_id": execution.pk, "uuid": uuid.uuid4(), "position": 0, "name": "Send SMS",
            "status": "failed", "info": "{}", "messages": ["it's \"quoted\" é"], "failure_kind": "failed",
            "executed_at": None, "remote_created_at": now, "remote_updated_at": now}
    sql.insert_rows(Step, [step])
    columns = ["execution_id", "uuid", "position", "messages", "executed_at", "remote_created_at"]
    assert [list(r) for r in sql.read_rows(Step, columns, "execution_id", [execution.pk, 999])] == [
        list(Step.objects.values_list(*columns).get())[:1] + [str(step["uuid"]), 0, step["messages"], None, now]
    ]
    assert sql.read_rows(Step, columns, "execution_id", []) == []
