"""One function per action on a monitor, called by the pages and the commands.

Each checks the Django permission of the user acting (`by`) once; `by=None` is
an operator's command-line action, trusted like `manage.py` itself.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.rules import MONITORS as MANAGE_MONITORS
from audit import record
from connections.clients import client_for
from connections.defaults import ensure_default
from executions.paste import parse_uuid
from plannr import NotFound, PlannrError
from plannr.types import normalise_uuid

from .models import Monitor, Scope
from .subscriptions import subscribe

MAX_BACKFILL_DAYS = 365
MAX_CLIENTS = 2000


class MonitorError(ValueError):
    """Bad input for a monitor: the message is shown to the user as is."""


@dataclass
class MonitorSpec:
    """What a user asks for; validated by `clean`."""

    scope: str
    name: str = ""
    blueprint_uuid: str = ""
    client_uuids: list = field(default_factory=list)
    name_contains: str = ""
    triggered_by: list = field(default_factory=list)
    backfill_days: int | None = None
    # A Connection, or None for `default`.
    connection: object = None


# What an audit row shows of a monitor: what it covers, never Plannr's raw blueprint.
AUDITED = ("name", "scope", "blueprint_uuid", "client_uuids", "name_contains", "triggered_by")


def _audited(monitor):
    return {key: getattr(monitor, key) for key in AUDITED}


def _pause_state(monitor):
    return {"paused": monitor.paused, "paused_until": monitor.paused_until}


def _require(by, action):
    if by is not None and not by.has_perm(MANAGE_MONITORS):
        raise PermissionDenied(f"You may not {action} monitors.")


def _clean_uuids(values, what):
    cleaned, bad = [], []
    for value in values:
        # A link copied from Plannr counts as the UUID in it, as in the watchlist's paste.
        parsed = parse_uuid(value) if isinstance(value, str) else None
        normalised = normalise_uuid(value) or (str(parsed) if parsed else None)
        (cleaned if normalised else bad).append(normalised or str(value))
    if bad:
        raise MonitorError(f"Not a valid {what} UUID: {', '.join(bad[:5])}")
    return list(dict.fromkeys(cleaned))


def fetch_blueprint(blueprint_uuid, connection=None):
    """The blueprint's name, trigger and steps from Plannr; MonitorError if it cannot be had."""
    try:
        body = client_for(connection or ensure_default()).get_blueprint(blueprint_uuid)
    except NotFound:
        raise MonitorError(f"Plannr has no blueprint {blueprint_uuid}.") from None
    except PlannrError as exc:
        raise MonitorError(f"Could not check the blueprint with Plannr: {exc}") from None
    steps = body.get("steps") if isinstance(body.get("steps"), list) else []
    return {
        "blueprint_name": str(body.get("name") or "")[:500],
        "blueprint_trigger": str(body.get("trigger") or "")[:255],
        "blueprint_steps": [
            {"name": str(s.get("name") or ""), "type": str(s.get("type") or "")}
            for s in steps
            if isinstance(s, dict)
        ],
    }


def _fields(spec, *, check_blueprint=True):
    scope = spec.scope
    if scope not in Scope.values:
        raise MonitorError(f"Unknown scope {scope!r}: choose everything, blueprint or clients.")
    fields = {
        "scope": scope,
        "name_contains": spec.name_contains.strip()[:200],
        "triggered_by": [t.strip() for t in spec.triggered_by if t.strip()][:50],
        "blueprint_uuid": None,
        "blueprint_name": "",
        "blueprint_trigger": "",
        "blueprint_steps": [],
        "client_uuids": [],
    }
    if spec.connection is not None:
        fields["connection"] = spec.connection
    if scope == Scope.BLUEPRINT:
        uuids = _clean_uuids([spec.blueprint_uuid], "blueprint") if spec.blueprint_uuid else []
        if not uuids:
            raise MonitorError("A blueprint monitor needs the blueprint's UUID.")
        fields["blueprint_uuid"] = uuids[0]
        if check_blueprint:
            fields.update(fetch_blueprint(uuids[0], spec.connection))
    elif scope == Scope.CLIENTS:
        uuids = _clean_uuids(spec.client_uuids, "client")
        if not uuids:
            raise MonitorError("A clients monitor needs at least one client UUID.")
        if len(uuids) > MAX_CLIENTS:
            raise MonitorError(f"At most {MAX_CLIENTS} clients per monitor.")
        fields["client_uuids"] = uuids
    name = spec.name.strip()[:200]
    if not name:
        name = {
            Scope.EVERYTHING: "Everything",
            Scope.BLUEPRINT: fields["blueprint_name"] or f"Blueprint {fields['blueprint_uuid']}",
            Scope.CLIENTS: f"{len(fields['client_uuids'])} client(s)",
        }[scope]
    fields["name"] = name
    return fields


def create_monitor(spec, *, creator, by=None, now=None):
    """A new monitor, its creator subscribed. Raises MonitorError or PermissionDenied."""
    _require(by, "add")
    now = now or timezone.now()
    days = spec.backfill_days
    if days is not None and not 0 <= days <= MAX_BACKFILL_DAYS:
        raise MonitorError(f"Backfill is 0 to {MAX_BACKFILL_DAYS} days.")
    fields = _fields(spec)
    with transaction.atomic():
        monitor = Monitor.objects.create(
            **fields,
            # Plannr stamps created_at to the second: an execution of this very second counts.
            start_at=(now - timedelta(days=days or 0)).replace(microsecond=0),
            backfill_days=days or None,
            created_by=creator,
        )
        if creator is not None:
            subscribe(monitor, creator)
        record("monitor.create", actor=by, target=f"monitor:{monitor.pk}",
               after={**_audited(monitor), "backfill_days": monitor.backfill_days})
    return monitor


def update_monitor(monitor, spec, *, by=None):
    """Change what a monitor covers. Its start point and sweep history stay."""
    _require(by, "change")
    same_blueprint = str(monitor.blueprint_uuid) == (normalise_uuid(spec.blueprint_uuid) or "")
    check = spec.scope != Scope.BLUEPRINT or not same_blueprint
    fields = _fields(spec, check_blueprint=check)
    if not check:
        for key in ("blueprint_name", "blueprint_trigger", "blueprint_steps"):
            fields[key] = getattr(monitor, key)
    if fields["scope"] != monitor.scope or fields["client_uuids"] != monitor.client_uuids or (
        fields["blueprint_uuid"] and str(fields["blueprint_uuid"]) != str(monitor.blueprint_uuid)
    ):
        # A different scope has its own history: sweep it from the start point again.
        fields["high_water"] = None
    before = _audited(monitor)
    for key, value in fields.items():
        setattr(monitor, key, value)
    after = _audited(monitor)
    changed = [key for key in AUDITED if before[key] != after[key]]
    with transaction.atomic():
        monitor.save()
        record("monitor.update", actor=by, target=f"monitor:{monitor.pk}",
               before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return monitor


def pause(monitor, *, by=None, until=None):
    """Pause now: indefinitely, or until `until` (a maintenance window)."""
    _require(by, "change")
    before = _pause_state(monitor)
    if until is None:
        monitor.paused, monitor.paused_until = True, None
    else:
        monitor.paused, monitor.paused_until = False, until
    with transaction.atomic():
        monitor.save(update_fields=["paused", "paused_until", "updated_at"])
        record("monitor.pause", actor=by, target=f"monitor:{monitor.pk}",
               before=before, after=_pause_state(monitor))


def resume(monitor, *, by=None):
    """Active again. What Plannr created meanwhile is found by the next sweep (the high-water mark held)."""
    _require(by, "change")
    before = _pause_state(monitor)
    monitor.paused, monitor.paused_until = False, None
    with transaction.atomic():
        monitor.save(update_fields=["paused", "paused_until", "updated_at"])
        record("monitor.resume", actor=by, target=f"monitor:{monitor.pk}",
               before=before, after=_pause_state(monitor))


def delete_monitor(monitor, *, by=None):
    """Delete the monitor and its findings; the executions stay (they age out with retention)."""
    _require(by, "delete")
    with transaction.atomic():
        record("monitor.delete", actor=by, target=f"monitor:{monitor.pk}", before=_audited(monitor))
        monitor.delete()
