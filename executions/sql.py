"""The polling path's raw SQL: what the ORM cannot say in one statement.

Every function here has a PostgreSQL and a SQLite form, and both are tested
(tests/executions/test_sql.py runs on whichever engine the suite runs on; CI runs
PostgreSQL, `make test` SQLite). Callers pass and get plain Python values.

- `claim`: one UPDATE claims a whole cycle, a fresh claim token per batch, and
  returns what each batch task needs, so the task reads nothing before it polls.
  The dispatcher's claim is also the reschedule: it writes what an unchanged poll
  would, so most polls write nothing to their rows afterwards.
- `write_states` / `insert_rows`: a batch's changed executions, steps and snapshots
  written set-based; writing the executions is also the claim check. On PostgreSQL
  new rows travel by COPY, updated or upserted ones as one JSON document expanded by
  `jsonb_to_recordset` (one parameter, parsed in C; Django's array insert made
  psycopg escape every quote of every payload); SQLite, in-process, takes
  `executemany`.
- `read_rows`: a changed batch's stored steps, without the ORM's query building.
- `finish_claim` / `prune_finished`: a batch's FinishedClaim, and forgetting old ones.
"""

import datetime as dt
import json
import time
import uuid as uuid_lib

import orjson
from django.db import connection
from django.utils.dateparse import parse_datetime

from .models import Execution, FinishedClaim, PollState

# What a batch task needs of each claimed execution, in this order.
CLAIM_COLUMNS = ("id", "uuid", "status", "poll_state", "is_finished", "payload_hash", "consecutive_errors")


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _q(name):
    return connection.ops.quote_name(name)


def _is_postgres():
    return connection.vendor == "postgresql"


def _datetime_param(value):
    return connection.ops.adapt_datetimefield_value(value)


def _as_datetime(value):
    """A returned timestamp as an aware datetime (SQLite's come back naive UTC, or as text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else parse_datetime(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def claim(*, now, until, batch_size, limit=None, ids=None, reschedule=None, connection_id=None):
    """Claim unclaimed executions, due ones (or exactly `ids`), oldest first, in batches.

    Returns (oldest due time, [(token, rows)]), rows as lists in CLAIM_COLUMNS order
    (uuid as str). The claim condition is evaluated inside the UPDATE: on PostgreSQL
    the candidates are locked with SKIP LOCKED, so two dispatchers never share a row;
    SQLite has one writer. A row whose batch finished (FinishedClaim) is unclaimed.

    With `reschedule`, the same UPDATE also does what a routine poll that finds nothing
    changed would write: next_poll_at = `reschedule`, and last_polled_at = `now` where
    the last poll went fine. Such a poll then writes nothing to its row (polling.py).
    With `connection_id`, only that connection's executions (a batch is one connection's).
    """
    if ids is not None and not ids:
        return None, []
    limit = limit if limit is not None else 2**62
    # Batch k's token: 24 random hex digits for this claim, then k in 8 hex digits.
    prefix = uuid_lib.uuid4().hex[:24]
    if ids is None:
        scope, scope_params = f"{_q('next_poll_at')} <= %s", [_datetime_param(now)]
    elif _is_postgres():
        scope, scope_params = f"{_q('id')} = ANY(%s)", [list(ids)]
    else:
        scope, scope_params = f"{_q('id')} IN ({','.join(['%s'] * len(ids))})", list(ids)
    if connection_id is not None:
        scope, scope_params = f"{scope} AND {_q('connection_id')} = %s", [*scope_params, connection_id]
    finished = f"SELECT {_q('token')} FROM {_table(FinishedClaim)}"
    unclaimed = (
        f"({_q('claimed_until')} IS NULL OR {_q('claimed_until')} < %s OR {_q('claim_token')} IN ({finished}))"
    )
    table = _table(Execution)
    sets, set_params = [], []
    if reschedule is not None:
        # Only a row whose last poll went fine can have a routine poll now; the others
        # (never polled, errors) write their own outcome, and until then say when
        # they really were last polled.
        polled = f"CASE WHEN {_q('poll_state')} = %s THEN %s ELSE {_q('last_polled_at')} END"
        sets = [f", {_q('next_poll_at')} = %s, {_q('last_polled_at')} = {polled}"]
        set_params = [_datetime_param(reschedule), PollState.OK, _datetime_param(now)]
    # The uuid as text, the batch number, and the oldest due time once (row 0): no
    # per-row conversion of UUIDs and timestamps in Python for 10,000 rows.
    values = ", ".join(f"e.{_q(c)}" for c in CLAIM_COLUMNS[2:])
    if _is_postgres():
        query = f"""
            WITH picked AS (
                SELECT id, next_poll_at AS due_at, row_number() OVER (ORDER BY next_poll_at, id) - 1 AS n
                FROM (SELECT id, next_poll_at FROM {table}
                      WHERE {scope} AND {unclaimed}
                      ORDER BY next_poll_at, id LIMIT %s FOR UPDATE SKIP LOCKED) candidates
            )
            UPDATE {table} AS e
            SET claim_token = (%s || lpad(to_hex((picked.n / %s)::int), 8, '0'))::uuid, claimed_until = %s{"".join(sets)}
            FROM picked WHERE e.id = picked.id
            RETURNING e.id, e.uuid::text, {values}, picked.n / %s, CASE WHEN picked.n = 0 THEN picked.due_at END
        """
        params = [*scope_params, _datetime_param(now), limit, prefix, batch_size, _datetime_param(until),
                  *set_params, batch_size]
    else:
        dashed = _dashed_uuid_sqlite("uuid")
        query = f"""
            WITH picked AS MATERIALIZED (
                SELECT id, next_poll_at AS due_at, row_number() OVER (ORDER BY next_poll_at, id) - 1 AS n
                FROM {table} WHERE {scope} AND {unclaimed}
                ORDER BY next_poll_at, id LIMIT %s
            )
            UPDATE {table}
            SET claim_token = %s || printf('%%08x', picked.n / %s), claimed_until = %s{"".join(sets)}
            FROM picked WHERE {table}.id = picked.id
            RETURNING id, {dashed}, {", ".join(_q(c) for c in CLAIM_COLUMNS[2:])},
                      claim_token, (SELECT min(due_at) FROM picked)
        """
        params = [*scope_params, _datetime_param(now), limit, prefix, batch_size, _datetime_param(until),
                  *set_params]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        returned = cursor.fetchall()
    if not returned:
        return None, []
    batches, oldest = {}, None
    if _is_postgres():
        for row in returned:
            batches.setdefault(row[7], []).append(list(row[:7]))
            if row[8] is not None:
                oldest = row[8]
    else:
        # SQLite's RETURNING sees only the updated table: the batch number is the token's
        # last 8 hex digits (and booleans come back as integers).
        for row in returned:
            values = list(row[:7])
            values[4] = bool(values[4])
            batches.setdefault(int(row[7][-8:], 16), []).append(values)
        oldest = returned[0][8]
    tokens = {n: uuid_lib.UUID(prefix + f"{n:08x}") for n in batches}
    # RETURNING's order is the engine's: each batch in id order, batches in claim order.
    return _as_datetime(oldest), [(tokens[n], sorted(batches[n])) for n in sorted(batches)]


def finish_claim(token, at):
    """Record that the batch holding `token` is done (once: a redelivered batch adds nothing).

    One plain statement, no transaction around it: a batch that kept its claims costs
    exactly this. Losing it (a crash right before) only means its rows wait for their
    claims to end.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(FinishedClaim)} ({_q('token')}, {_q('finished_at')}) VALUES (%s, %s) "
            f"ON CONFLICT ({_q('token')}) DO NOTHING",
            [FinishedClaim._meta.pk.get_db_prep_save(token, connection), _datetime_param(at)],
        )


def polling_ids(ids):
    """Of these executions, those whose poll is under way: claimed by a batch that has not
    reported (Execution.objects.stale_claims()). Raw: it is asked on every table refresh,
    and building it with the ORM cost more than running it."""
    if not ids:
        return set()
    finished = f"SELECT {_q('token')} FROM {_table(FinishedClaim)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_q('id')} FROM {_table(Execution)} WHERE {_q('id')} IN ({','.join(['%s'] * len(ids))}) "
            f"AND {_q('claim_token')} IS NOT NULL AND {_q('claim_token')} NOT IN ({finished})",
            list(ids),
        )
        return {row[0] for row in cursor.fetchall()}


def prune_finished(before):
    """Forget batches finished before `before` (one statement; QuerySet.delete() adds a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(FinishedClaim)} WHERE {_q('finished_at')} < %s", [_datetime_param(before)]
        )


def _dashed_uuid_sqlite(column):
    """SQLite keeps a UUIDField as 32 hex digits: the canonical dashed form, in SQL."""
    parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    return "lower(" + "||'-'||".join(f"substr({column}, {start}, {length})" for start, length in parts) + ")"


def read_rows(model, columns, key, values):
    """[(column values...)] of the rows whose `key` is in `values`: UUIDs as canonical str,
    JSON decoded, times aware, as the ORM would give them but without building a query
    (the ORM's compile and conversions were most of reading a changed batch's steps)."""
    if not values:
        return []
    fields = {f.column: f for f in model._meta.concrete_fields}
    kinds = [fields[c].get_internal_type() for c in columns]
    postgres = _is_postgres()
    selected = []
    for column, kind in zip(columns, kinds):
        if kind == "UUIDField":
            selected.append(f"{_q(column)}::text" if postgres else _dashed_uuid_sqlite(_q(column)))
        else:
            selected.append(_q(column))
    decode = {
        "JSONField": lambda v: None if v is None else orjson.loads(v),
        "DateTimeField": None if postgres else _as_datetime,
    }
    converters = [(i, decode[kind]) for i, kind in enumerate(kinds) if decode.get(kind)]
    where = f"{_q(key)} = ANY(%s)" if postgres else f"{_q(key)} IN ({','.join(['%s'] * len(values))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(selected)} FROM {_table(model)} WHERE {where}",
            [list(values)] if postgres else list(values),
        )
        rows = cursor.fetchall()
    if not converters:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i, convert in converters:
            row[i] = convert(row[i])
        out.append(row)
    return out


def _db_type(field):
    return field.db_type(connection) if not field.is_relation else field.target_field.rel_db_type(connection)


def _sqlite_datetime(value):
    # What Django's SQLite backend stores: naive UTC, str() of the datetime.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return str(value)


def _sqlite_uuid(value):
    if value is None:
        return None
    return (value if isinstance(value, uuid_lib.UUID) else uuid_lib.UUID(value)).hex


def _sqlite_json(value):
    # None is SQL NULL, as JSONField.get_db_prep_save has it.
    if value is None:
        return None
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)  # a lone surrogate: orjson refuses it


_SQLITE_ADAPTERS = {"DateTimeField": _sqlite_datetime, "UUIDField": _sqlite_uuid, "JSONField": _sqlite_json}


def _sqlite_rows(model, columns, rows):
    """Rows as parameter lists for SQLite, column by column as Django would store them.

    Field.get_db_prep_save was half of a first poll's time on SQLite (26 values a row,
    several calls each); what these columns need is a handful of plain conversions.
    """
    fields = {f.column: f for f in model._meta.concrete_fields}
    adapters = [_SQLITE_ADAPTERS.get(fields[c].get_internal_type()) for c in columns]
    plain = all(a is None for a in adapters)
    return [
        [r[c] for c in columns] if plain else [a(r[c]) if a else r[c] for a, c in zip(adapters, columns)]
        for r in rows
    ]


def write_states(rows, claim_token):
    """Write changed executions' new state and bump each one's version, where the claim holds.

    `rows`: dicts of column -> value with the same columns, `id` among them. Only rows
    still carrying `claim_token` are written (any row when it is None); the statement
    takes their row locks. Returns {id: new version} of the rows written.
    """
    if not rows:
        return {}
    columns = [c for c in rows[0] if c != "id"]
    fields = {f.column: f for f in Execution._meta.concrete_fields}
    table, version = _table(Execution), _q("version")
    token = [fields["claim_token"].get_db_prep_value(claim_token, connection)] if claim_token else []
    with connection.cursor() as cursor:
        if _is_postgres():
            record = ", ".join(f"{_q(c)} {_db_type(fields[c])}" for c in ["id", *columns])
            sets = ", ".join(f"{_q(c)} = v.{_q(c)}" for c in columns)
            claimed = " AND t.claim_token = %s" if claim_token else ""
            cursor.execute(
                f"UPDATE {table} AS t SET {sets}, {version} = t.{version} + 1 "
                f"FROM jsonb_to_recordset(%s::jsonb) AS v({record}) WHERE t.id = v.id{claimed} "
                f"RETURNING t.id, t.{version}",
                [orjson.dumps(rows).decode(), *token],
            )
            return dict(cursor.fetchall())
        # SQLite has one writer, and this transaction is it: read which rows are still
        # ours, then write those.
        ids = [r["id"] for r in rows]
        claimed = f" AND {_q('claim_token')} = %s" if claim_token else ""
        cursor.execute(
            f"SELECT id, {version} FROM {table} WHERE id IN ({','.join(['%s'] * len(ids))}){claimed}", [*ids, *token]
        )
        versions = {pk: value + 1 for pk, value in cursor.fetchall()}
        sets = ", ".join(f"{_q(c)} = %s" for c in columns)
        cursor.executemany(
            f"UPDATE {table} SET {sets}, {version} = {version} + 1 WHERE id = %s",
            _sqlite_rows(Execution, [*columns, "id"], [r for r in rows if r["id"] in versions]),
        )
    return versions


def insert_rows(model, rows, *, conflict=None, update=()):
    """INSERT rows (dicts with the same columns); with `conflict` columns, update `update` on a clash."""
    if not rows:
        return 0
    columns = list(rows[0])
    fields = {f.column: f for f in model._meta.concrete_fields}
    table = _table(model)
    names = ", ".join(_q(c) for c in columns)
    upsert = ""
    if conflict:
        sets = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in update)
        upsert = f" ON CONFLICT ({', '.join(_q(c) for c in conflict)}) DO UPDATE SET {sets}"
    with connection.cursor() as cursor:
        if _is_postgres() and not conflict:
            # COPY: each JSON value is parsed once, by its own column (a quarter faster
            # than one jsonb_to_recordset document for snapshots of a few KB).
            json_columns = {c for c in columns if fields[c].get_internal_type() == "JSONField"}
            started, statement = time.monotonic(), f"COPY {table} ({names}) FROM STDIN"
            with cursor.cursor.copy(statement) as copy:
                for r in rows:
                    copy.write_row(
                        [orjson.dumps(r[c]).decode() if c in json_columns and r[c] is not None else r[c] for c in columns]
                    )
            if connection.queries_logged:
                # COPY bypasses Django's cursor wrapper: counted like any statement all the same.
                connection.queries_log.append(
                    {"sql": f"{statement} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"}
                )
        elif _is_postgres():
            record = ", ".join(f"{_q(c)} {_db_type(fields[c])}" for c in columns)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS v({record}){upsert}",
                [orjson.dumps(rows).decode()],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))}){upsert}",
                _sqlite_rows(model, columns, rows),
            )
    return len(rows)
