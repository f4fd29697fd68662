"""What the management commands share: a connection by name, or a clear CommandError."""

from django.core.management.base import CommandError

from .defaults import ensure_default
from .models import DEFAULT_NAME, Connection


def connection_named(name):
    if name == DEFAULT_NAME:
        return ensure_default()
    connection = Connection.objects.filter(name=name).first()
    if connection is None:
        names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none"
        raise CommandError(f"no connection named {name!r} (connections: {names})")
    return connection
