"""Creating, accepting and deleting expectations: the one door for the command and the pages."""

from dataclasses import dataclass

from django.db import transaction

import audit
from connections.defaults import ensure_default
from plannr.types import normalise_uuid
from monitors.models import Monitor
from monitors.services import MonitorError, fetch_blueprint

from . import hours
from .models import Expectation, Kind

MAX_MINUTES = 7 * 24 * 60


class ExpectationError(ValueError):
    pass


@dataclass
class ExpectationSpec:
    blueprint_uuid: str
    at_least: int | None = None
    within_minutes: int | None = None
    finish_within_minutes: int | None = None
    hours: str = ""
    time_zone: str = "Europe/London"
    name: str = ""
    # The Plannr connection whose blueprint it is; None: the `default` connection.
    connection: object = None


def blueprint_name(blueprint_uuid, connection=None):
    """The name executions carry: a blueprint monitor already knows it, else Plannr is asked once.

    A blueprint uuid names a blueprint within one connection's account, so only that
    connection's monitors and expectations, or its Plannr account, are asked.
    """
    connection = connection or ensure_default()
    known = (
        Monitor.objects.filter(blueprint_uuid=blueprint_uuid, connection=connection).exclude(blueprint_name="")
        .values_list("blueprint_name", flat=True).first()
    )
    if known:
        return known
    known = (
        Expectation.objects.for_blueprint(blueprint_uuid).filter(connection=connection)
        .values_list("blueprint_name", flat=True).first()
    )
    if known:
        return known
    try:
        return fetch_blueprint(blueprint_uuid, connection)["blueprint_name"]
    except MonitorError as exc:
        raise ExpectationError(str(exc)) from None


def uuid_of(connection, name):
    """A blueprint's uuid from its name in a connection, as a blueprint monitor or an expectation recorded it."""
    for model in (Monitor, Expectation):
        found = model.objects.filter(
            connection=connection, blueprint_name=name, blueprint_uuid__isnull=False
        ).values_list("blueprint_uuid", flat=True).first()
        if found:
            return str(found)
    return None


def plannr_link(connection, name):
    """The blueprint's page in Plannr's web app, or "" (uuid unknown, or no URL template)."""
    uuid = uuid_of(connection, name)
    return connection.link("blueprint", blueprint_uuid=uuid) if uuid else ""


def _minutes(value, what):
    if value is None or not 1 <= value <= MAX_MINUTES:
        raise ExpectationError(f"{what} must be a whole number of minutes from 1 to {MAX_MINUTES}.")
    return value


def _fields(spec):
    uuid = normalise_uuid(spec.blueprint_uuid)
    if uuid is None:
        raise ExpectationError(f"Not a valid blueprint UUID: {spec.blueprint_uuid}")
    volume = spec.at_least is not None or spec.within_minutes is not None
    if volume == (spec.finish_within_minutes is not None):
        raise ExpectationError("Give either --at-least N --within MINUTES (volume) or --finish-within MINUTES.")
    fields = {"blueprint_uuid": uuid, "name": (spec.name or "").strip()[:200]}
    if volume:
        if spec.at_least is None or spec.at_least < 1:
            raise ExpectationError("--at-least must be 1 or more.")
        fields.update(kind=Kind.VOLUME, at_least=spec.at_least, within_minutes=_minutes(spec.within_minutes, "--within"))
    else:
        fields.update(kind=Kind.DEADLINE, finish_within_minutes=_minutes(spec.finish_within_minutes, "--finish-within"))
    try:
        hours.zone(spec.time_zone)
        if spec.hours:
            hours.parse(spec.hours)
    except hours.HoursError as exc:
        raise ExpectationError(str(exc)) from None
    fields.update(hours=(spec.hours or "").strip().lower(), time_zone=spec.time_zone)
    return fields


def create(spec, by=None, *, suggested=False):
    fields = _fields(spec)
    fields["connection"] = spec.connection or ensure_default()
    fields["blueprint_name"] = blueprint_name(fields["blueprint_uuid"], fields["connection"])
    with transaction.atomic():
        expectation = Expectation.objects.create(created_by=by, suggested=suggested, **fields)
        if not suggested:
            audit.record("expectation.create", actor=by, target=f"expectation:{expectation.pk}", after=_audited(expectation))
    return expectation


def _audited(expectation):
    return {
        "blueprint": str(expectation.blueprint_uuid), "connection": expectation.connection.name, "kind": expectation.kind, "rule": expectation.rule_text(),
    }
