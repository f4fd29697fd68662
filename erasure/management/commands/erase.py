"""`python manage.py erase --client UUID [--connection NAME]`: a data subject's erasure request."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from connections.models import Connection
from erasure.services import describe, erase_client


class Command(BaseCommand):
    help = ("Overwrite every stored trace of one client (Plannr account uuid): account data, info texts, "
            "raw payloads, names on occurrences, outbox and delivery logs, audit details. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="The client's Plannr account uuid.")
        parser.add_argument("--connection", help="Only this Plannr connection's executions (its name).")

    def handle(self, *args, client, connection=None, **options):
        try:
            client_uuid = uuid.UUID(client.strip())
        except ValueError:
            raise CommandError(f"--client must be a uuid, not {client!r}.") from None
        if connection and not Connection.objects.filter(name=connection).exists():
            names = ", ".join(Connection.objects.order_by("name").values_list("name", flat=True)) or "none"
            raise CommandError(f"No connection named {connection!r} (there are: {names}).")
        changes = erase_client(client_uuid, connection=connection)
        self.stdout.write(describe(changes))
        self.stdout.write(f"Audited as client.erase client:{client_uuid}.")
