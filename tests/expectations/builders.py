"""Expectations and monitors for the tests, through the services the command uses."""

import uuid as uuid_lib

from django.utils import timezone

from expectations import services
from monitors.models import Monitor, Scope

BLUEPRINT_UUID = "6a1f2c4e-0000-4000-8000-00000000a001"
BLUEPRINT = "Annual review reminder"


def blueprint_monitor(blueprint_uuid=BLUEPRINT_UUID, name=BLUEPRINT, start_at=None, **fields):
    """A blueprint monitor written straight to the database (no Plannr check)."""
    return Monitor.objects.create(
        name=f"{name} monitor", scope=Scope.BLUEPRINT, blueprint_uuid=blueprint_uuid, blueprint_name=name,
        start_at=start_at or timezone.now() - timezone.timedelta(days=30), **fields,
    )


def volume(at_least=5, within=60, blueprint_uuid=BLUEPRINT_UUID, **kwargs):
    spec = services.ExpectationSpec(blueprint_uuid=blueprint_uuid, at_least=at_least, within_minutes=within, **kwargs)
    return services.create(spec)


def deadline(minutes=30, blueprint_uuid=BLUEPRINT_UUID, **kwargs):
    spec = services.ExpectationSpec(blueprint_uuid=blueprint_uuid, finish_within_minutes=minutes, **kwargs)
    return services.create(spec)


def new_uuid():
    return str(uuid_lib.uuid4())
