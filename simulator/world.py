"""The simulated Plannr data: executions, their accounts and blueprints.

Two kinds of execution live here:
- generated ones follow a seeded schedule and advance by themselves as `clock`
  moves (their state at time t is computed from the schedule);
- static ones (created by tests, benchmarks or the control API) change only when
  driven.

Each execution caches its JSON once per state, so serving a page of 500 costs a
join of cached bytes, not 500 serialisations.
"""

import bisect
import datetime as dt
import functools
import json
import random
import threading
import time
import uuid as uuid_lib
from zoneinfo import ZoneInfo

from . import stories

LONDON = ZoneInfo("Europe/London")
UNSET = object()

# Shares of generated stories (the rest complete normally).
_FAILED, _HIDDEN, _STUCK = 0.12, 0.10, 0.13


@functools.lru_cache(maxsize=65536)
def _iso_seconds(seconds):
    return dt.datetime.fromtimestamp(seconds, LONDON).isoformat(timespec="seconds")


def iso(ts):
    """ISO 8601 with the Europe/London offset of that moment, as Plannr sends it."""
    return _iso_seconds(int(ts))


def _dumps(value):
    return json.dumps(value, separators=(",", ":")).encode()


# Version-4 bits, as uuid.UUID(int=..., version=4) sets them, without building UUID objects
# (create_many makes tens of thousands).
_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (0x4000 << 64)


def _uuid4_from_bits(bits):
    h = "%032x" % ((bits & _UUID4_CLEAR) | _UUID4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _new_uuid(rng):
    return _uuid4_from_bits(rng.getrandbits(128))


def _to_ts(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=LONDON)
        return value.timestamp()
    return float(value)


class _Account:
    __slots__ = ("uuid", "data", "json")

    def __init__(self, data):
        self.uuid = data["uuid"]
        self.data = data
        self.json = _dumps(data)


class _Plan:
    """The schedule of a generated execution."""

    __slots__ = ("specs", "events", "run_count", "final_status")

    def __init__(self, specs, run_count, final_status):
        # specs: (uuid, name, status, info, executed_ts) for every step of the
        # blueprint; only the first run_count ever run.
        self.specs = specs
        self.run_count = run_count
        self.final_status = final_status
        self.events = [spec[4] for spec in specs[:run_count]]
        if final_status is not None:
            # The status changes with the last step: no moment where the last
            # step has run but the execution still looks in progress.
            self.events.append(self.events[-1] if self.events else 0.0)


def _run_step(uuid, name, status, info, ts):
    stamp = iso(ts)
    return {
        "uuid": uuid,
        "created_at": stamp,
        "updated_at": stamp,
        "executed_at": stamp,
        "status": status,
        "info": info,
        "name": name,
    }


def _pending_step(uuid, name, ts, status="pending", info=None):
    stamp = iso(ts)
    return {
        "uuid": uuid,
        "created_at": stamp,
        "updated_at": stamp,
        "executed_at": None,
        "status": status,
        "info": info,
        "name": name,
    }


class _Execution:
    __slots__ = (
        "uuid", "name", "triggered_by", "blueprint_uuid", "account", "created_ts", "plan",
        "status", "steps", "next_step", "updated_ts", "version", "_key", "_json",
    )

    def __init__(self, uuid, name, triggered_by, account, created_ts):
        self.uuid = uuid
        self.name = name
        self.triggered_by = triggered_by
        self.account = account
        self.created_ts = created_ts
        self.plan = None
        self.status = "in_progress"
        self.steps = []
        self.next_step = None
        self.updated_ts = created_ts
        self.version = 0
        self._key = None
        self._json = None
        self.set_name(name)

    def set_name(self, name):
        self.name = name
        blueprint = stories.BLUEPRINTS_BY_NAME.get(name)
        self.blueprint_uuid = blueprint.uuid if blueprint else None

    # --- state at time t ---------------------------------------------------------

    def _phase(self, t):
        if self.plan is None:
            return self.version
        return -1 - bisect.bisect_right(self.plan.events, t)

    def state(self, t):
        """(status, steps, next_step, updated_ts) at time t."""
        plan = self.plan
        if plan is None:
            return self.status, self.steps, self.next_step, self.updated_ts
        passed = bisect.bisect_right(plan.events, t)
        executed = min(passed, plan.run_count)
        finished = plan.final_status is not None and passed > plan.run_count
        steps = [_run_step(*spec) for spec in plan.specs[:executed]]
        status = plan.final_status if finished else "in_progress"
        next_step = None
        if not finished and executed < len(plan.specs):
            spec = plan.specs[executed]
            since = plan.specs[executed - 1][4] if executed else self.created_ts
            next_step = _pending_step(spec[0], spec[1], since)
        updated_ts = plan.specs[executed - 1][4] if executed else self.created_ts
        return status, steps, next_step, updated_ts

    def payload(self, t):
        status, steps, next_step, updated_ts = self.state(t)
        return {
            "uuid": self.uuid,
            "created_at": iso(self.created_ts),
            "updated_at": iso(updated_ts),
            "status": status,
            "triggered_by": self.triggered_by,
            "steps": steps,
            "name": self.name,
            "next_step": next_step,
            "previous_step": steps[-1] if steps else None,
        }

    def json(self, t, with_account):
        key = self._phase(t)
        if key != self._key:
            self._json = _dumps(self.payload(t))
            self._key = key
        if not with_account:
            return self._json
        return self._json[:-1] + b',"account":' + self.account.json + b"}"

    def freeze(self, t):
        """Turn a generated execution into a static one, in its state at time t."""
        if self.plan is None:
            return
        self.status, self.steps, self.next_step, self.updated_ts = self.state(t)
        self.steps = [dict(step) for step in self.steps]
        self.plan = None
        self._key = None


def _step_from_spec(spec, rng, now, *, default_status):
    if isinstance(spec, str):
        spec = {"name": spec}
    name = spec.get("name") or "Send SMS"
    status = spec.get("status", default_status)
    step_uuid = spec.get("uuid") or _new_uuid(rng)
    if default_status == "pending" and "executed_at" not in spec:
        return _pending_step(step_uuid, name, now, status=status, info=spec.get("info"))
    return _run_step(step_uuid, name, status, spec.get("info"), now)


class World:
    """All simulated data, guarded by one lock (every public method is thread-safe)."""

    def __init__(self, seed=1, executions=50, *, clock=time.time, step_seconds=(4, 20), new_per_minute=0):
        self.seed = seed
        self.clock = clock
        self.step_seconds = (float(step_seconds[0]), float(step_seconds[1]))
        if not 0 <= self.step_seconds[0] <= self.step_seconds[1]:
            raise ValueError("step_seconds must be (low, high) with 0 <= low <= high")
        self.lock = threading.RLock()
        self.created_ts = clock()
        self._rng = random.Random(f"plannr-sim-{seed}")
        # Tests and benchmarks draw from their own stream so that creating
        # executions never changes what the seeded story generation produced.
        self._extra_rng = random.Random(f"plannr-sim-{seed}-extra")
        self._executions = {}
        self._order_cache = {}
        self._accounts_by_uuid = {}
        self._bulk_accounts = []
        self._clients = self._make_clients(executions or (1 if new_per_minute else 0))
        for index in range(executions):
            self._add(self._generate(index))
        self._start_stream(executions, new_per_minute)

    # --- generation ------------------------------------------------------------------

    def _make_clients(self, executions):
        rng = self._rng
        count = max(3, executions // 3) if executions else 0
        clients = []
        for index in range(count):
            names = {}
            if index == 0:
                names = {"first_name": stories.TRICKY_CLIENT[0], "last_name": stories.TRICKY_CLIENT[1]}
            since = self.created_ts - rng.uniform(30, 900) * 86400
            clients.append(_Account(stories.make_account(rng, since, iso, **names)))
        for client in clients:
            self._accounts_by_uuid[client.uuid] = client
        return clients

    def _generate(self, index, *, rng=None, blueprint=None, created=None):
        """A generated execution: the seeded history (index < executions), or a new
        arrival of the live stream (`rng`, `blueprint` and `created` given)."""
        streamed = created is not None
        rng = rng or self._rng
        low, high = self.step_seconds
        blueprint = blueprint or rng.choice(stories.BLUEPRINTS)
        if index == 1:
            blueprint = stories.DEFAULT_BLUEPRINT  # its first step is "Send SMS", as in the docs
        client = self._clients[index] if index < len(self._clients) and index < 2 else rng.choice(
            self._clients
        )
        uuid = _new_uuid(rng)
        durations = [rng.uniform(low, high) for _ in blueprint.steps]
        total = sum(durations)
        if streamed:
            pass  # starts now, its first step ahead
        elif rng.random() < 0.55:
            # History: long finished (or stuck for days).
            created = self.created_ts - rng.uniform(3600, 30 * 86400)
        else:
            # Live: some mid-flight at world creation, some with the first step still ahead.
            created = self.created_ts - rng.uniform(0, total)
            if rng.random() < 0.3:
                durations[0] += rng.uniform(high, 10 * high + 1)
        roll = rng.random()
        if index == 0:
            outcome = "failed"  # the tricky-name client: its failure shows up everywhere
        elif index == 1:
            outcome = "hidden"  # the docs' own example: an error on a completed step
        elif roll < _FAILED:
            outcome = "failed"
        elif roll < _FAILED + _HIDDEN:
            outcome = "hidden"
        elif roll < _FAILED + _HIDDEN + _STUCK:
            outcome = "stuck"
        else:
            outcome = "completed"
        n = len(blueprint.steps)
        special = 0 if index == 1 else rng.randrange(n)
        specs = []
        ts = created
        for i, step in enumerate(blueprint.steps):
            ts += durations[i]
            status, info = "completed", stories.benign_info(rng, step.type)
            if i == special and outcome == "failed":
                status, info = "failed", stories.error_info(rng, step.type)
            elif i == special and outcome == "hidden":
                info = stories.DOCS_INFO_ERROR if index == 1 else stories.error_info(rng, step.type)
            specs.append((_new_uuid(rng), step.name, status, info, ts))
        if outcome == "failed":
            run_count, final = special + 1, "failed"
        elif outcome == "stuck":
            run_count, final = special, None
        else:
            run_count, final = n, "completed"
        execution = _Execution(uuid, blueprint.name, blueprint.trigger, client, created)
        execution.plan = _Plan(specs, run_count, final)
        return execution

    def _add(self, execution):
        self._executions[execution.uuid] = execution
        self._order_cache.clear()

    # --- the live stream -------------------------------------------------------------------

    def _start_stream(self, index, new_per_minute):
        """New executions keep arriving: `new_per_minute` in all, each blueprint at a seeded
        share of it (Poisson arrivals), with the same mix of outcomes as the history."""
        if new_per_minute < 0:
            raise ValueError("new_per_minute must be >= 0")
        self._stream_rng = random.Random(f"plannr-sim-{self.seed}-stream")
        weights = [self._stream_rng.uniform(0.5, 1.5) for _ in stories.BLUEPRINTS]
        total = sum(weights)
        # Per blueprint uuid: executions a minute.
        self.stream_rates = {
            bp.uuid: new_per_minute * w / total for bp, w in zip(stories.BLUEPRINTS, weights, strict=True)
        }
        self._stream_weights = weights
        # Blueprint uuids whose arrivals are dropped (POST /_simulator/blueprints/{uuid}/stop):
        # the silence an expectation should notice.
        self.stopped_blueprints = set()
        self._stream_index = max(index, 2)  # indexes 0 and 1 are the history's special stories
        self._per_second = new_per_minute / 60.0
        self._next_arrival = (
            self.created_ts + self._stream_rng.expovariate(self._per_second) if self._per_second else float("inf")
        )

    def _advance(self):
        """Materialise every arrival due by now (callers may or may not hold the lock)."""
        if self._next_arrival > self.clock():
            return
        with self.lock:
            now = self.clock()
            rng = self._stream_rng
            while self._next_arrival <= now:
                blueprint = rng.choices(stories.BLUEPRINTS, weights=self._stream_weights)[0]
                generated = self._generate(self._stream_index, rng=rng, blueprint=blueprint, created=self._next_arrival)
                if blueprint.uuid not in self.stopped_blueprints:
                    self._add(generated)
                self._stream_index += 1
                self._next_arrival += rng.expovariate(self._per_second)

    def _account_for(self, account, rng, now):
        """An _Account: a fresh one, or one built from (or reusing) a partial dict."""
        if isinstance(account, _Account):
            return account
        fields = dict(account or {})
        existing = self._accounts_by_uuid.get(fields.get("uuid"))
        if existing is not None:
            data = dict(existing.data, **fields)
            if data == existing.data:
                return existing
        else:
            data = stories.make_account(
                rng,
                now,
                iso,
                first_name=fields.get("first_name"),
                last_name=fields.get("last_name"),
                account_uuid=fields.get("uuid"),
            )
            data.update(fields)
        made = _Account(data)
        self._accounts_by_uuid[made.uuid] = made
        return made

    # --- the in-process API used by tests --------------------------------------------------

    def create_execution(
        self,
        *,
        uuid=None,
        name=None,
        triggered_by="client.created",
        status="in_progress",
        steps=None,
        next_step=None,
        account=None,
        created_at=None,
    ):
        """Create a static execution (it changes only when driven); returns its payload."""
        with self.lock:
            rng = self._extra_rng
            now = self.clock()
            created = now if created_at is None else _to_ts(created_at)
            execution_uuid = str(uuid_lib.UUID(str(uuid))) if uuid else _new_uuid(rng)
            if execution_uuid in self._executions:
                raise ValueError(f"execution {execution_uuid} already exists")
            execution = _Execution(
                execution_uuid,
                name or stories.DEFAULT_BLUEPRINT.name,
                triggered_by,
                self._account_for(account, rng, created),
                created,
            )
            execution.status = status
            execution.steps = [
                _step_from_spec(spec, rng, created, default_status="completed") for spec in steps or ()
            ]
            if next_step is not None:
                execution.next_step = _step_from_spec(next_step, rng, created, default_status="pending")
            self._add(execution)
            return json.loads(execution.json(now, True))

    def create_many(self, n, *, status="in_progress", steps=2, name=None):
        """Bulk-create n static executions (for benchmarks); returns their UUIDs."""
        with self.lock:
            rng = self._extra_rng
            now = self.clock()
            if not self._bulk_accounts:
                self._bulk_accounts = [self._account_for(None, rng, now) for _ in range(100)]
            blueprint = stories.BLUEPRINTS_BY_NAME.get(name) or stories.DEFAULT_BLUEPRINT
            step_names = [s.name for s in blueprint.steps]
            name = name or blueprint.name
            stamp = iso(now)
            accounts = self._bulk_accounts
            getrandbits = rng.getrandbits
            made = []
            for i in range(n):
                execution_uuid = _uuid4_from_bits(getrandbits(128))
                execution = _Execution(execution_uuid, name, blueprint.trigger, accounts[i % 100], now)
                execution.status = status
                execution.steps = [
                    {
                        "uuid": _uuid4_from_bits(getrandbits(128)),
                        "created_at": stamp,
                        "updated_at": stamp,
                        "executed_at": stamp,
                        "status": "completed",
                        "info": None,
                        "name": step_names[s % len(step_names)],
                    }
                    for s in range(steps)
                ]
                self._executions[execution_uuid] = execution
                made.append(execution_uuid)
            self._order_cache.clear()
            return made

    def drive(
        self, uuid, *, status=None, add_steps=None, update_steps=None, next_step=UNSET, name=None
    ):
        """Move an execution to a given state; returns its payload. KeyError if unknown."""
        with self.lock:
            execution = self._executions[str(uuid).strip().lower()]
            now = self.clock()
            execution.freeze(now)
            updates = {int(index): change for index, change in (update_steps or {}).items()}
            for index in updates:
                execution.steps[index]  # IndexError before anything changes
            rng = self._extra_rng
            if status is not None:
                execution.status = status
            for index, change in updates.items():
                step = execution.steps[index]
                for field in ("name", "status", "info"):
                    if field in change:
                        step[field] = change[field]
                step["updated_at"] = iso(now)
                if step.get("executed_at") is None and change.get("status") not in (None, "pending"):
                    step["executed_at"] = iso(now)
            for spec in add_steps or ():
                execution.steps.append(_step_from_spec(spec, rng, now, default_status="completed"))
            if next_step is not UNSET:
                execution.next_step = (
                    None
                    if next_step is None
                    else _step_from_spec(next_step, rng, now, default_status="pending")
                )
            if name is not None:
                execution.set_name(name)
                self._order_cache.clear()
            execution.updated_ts = now
            execution.version += 1
            return json.loads(execution.json(now, True))

    def get(self, uuid, *, include_account=True):
        """The payload as served (with account by default), or None."""
        self._advance()
        with self.lock:
            execution = self._executions.get(str(uuid).strip().lower())
            if execution is None:
                return None
            return json.loads(execution.json(self.clock(), include_account))

    def uuids(self):
        self._advance()
        with self.lock:
            return list(self._executions)

    def remove(self, uuid):
        with self.lock:
            removed = self._executions.pop(str(uuid).strip().lower(), None)
            self._order_cache.clear()
            return removed is not None

    def __len__(self):
        self._advance()
        return len(self._executions)

    # --- queries used by the server (callers hold self.lock) ----------------------------------

    def lookup(self, uuid):
        self._advance()
        return self._executions.get(uuid)

    def ordered(self, sort):
        """Every execution in `sort` order (name by default), ties broken by uuid; cached."""
        self._advance()
        cached = self._order_cache.get(sort)
        if cached is None:
            cached = sorted(self._executions.values(), key=sort_key(sort))
            self._order_cache[sort] = cached
        return cached

    def blueprint(self, uuid):
        return stories.BLUEPRINTS_BY_UUID.get(uuid)

    def set_blueprint_stopped(self, uuid, stopped):
        """Stop (or restart) the live stream's arrivals of one blueprint. KeyError if unknown.

        The arrivals are still drawn, then dropped, so the other blueprints' stream stays
        the same seeded sequence whether or not one is stopped.
        """
        blueprint = stories.BLUEPRINTS_BY_UUID[str(uuid).strip().lower()]
        self._advance()  # what arrived before the stop stays
        with self.lock:
            (self.stopped_blueprints.add if stopped else self.stopped_blueprints.discard)(blueprint.uuid)
        return {"uuid": blueprint.uuid, "name": blueprint.name, "stopped": stopped}

    def hang(self, uuid, step=None):
        """Hold an execution on a step for ever: in progress, that step next (by index; default
        the step it is at now). Returns its payload; KeyError/IndexError as `drive`."""
        with self.lock:
            execution = self._executions[str(uuid).strip().lower()]
            now = self.clock()
            execution.freeze(now)
            spec_steps = stories.BLUEPRINTS_BY_NAME.get(execution.name)
            if step is not None:
                step = int(step)
                if step < 0 or step > len(execution.steps):
                    raise IndexError(step)
                execution.steps = execution.steps[:step]
                execution.next_step = None
            if execution.next_step is None:
                names = [s.name for s in spec_steps.steps] if spec_steps else []
                position = len(execution.steps)
                name = names[position] if position < len(names) else "Wait"
                execution.next_step = _pending_step(str(uuid_lib.uuid4()), name, now)
            execution.status = "in_progress"
            execution.updated_ts = now
            execution.version += 1
            execution._key = None
            self._order_cache.clear()
            return execution.payload(now)

    def blueprints(self):
        return stories.BLUEPRINTS


def sort_key(sort):
    if sort == "created_at":
        return lambda e: (e.created_ts, e.uuid)
    if sort == "-created_at":
        return lambda e: (-e.created_ts, e.uuid)
    if sort == "-name":
        return _ReverseName
    return lambda e: (e.name, e.uuid)


class _ReverseName:
    """Sort key for descending name with ascending uuid tie-break."""

    __slots__ = ("e",)

    def __init__(self, e):
        self.e = e

    def __lt__(self, other):
        if self.e.name != other.e.name:
            return self.e.name > other.e.name
        return self.e.uuid < other.e.uuid
