from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connections.commands import connection_named
from executions.paste import parse_uuid
from executions.watching import watch_executions


class Command(BaseCommand):
    help = "Add execution UUIDs to a user's watchlist."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username of the watcher")
        parser.add_argument("--label", default="", help="optional label for these watches")
        parser.add_argument("--connection", default="default", metavar="NAME",
                            help="the Plannr connection the executions belong to (default: default)")
        parser.add_argument("uuids", nargs="+", metavar="UUID", help="a UUID, or a Plannr link holding one")

    def handle(self, *args, user, label, uuids, connection, **options):
        try:
            owner = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {user!r}") from None
        connection = connection_named(connection)
        valid, invalid = [], []
        for raw in uuids:
            parsed = parse_uuid(raw.strip())
            (valid if parsed else invalid).append(parsed or raw)
        result = watch_executions(owner, valid, label=label, connection=connection)
        for watch in result.created:
            self.stdout.write(f"watching {watch.execution.uuid}")
        for already in result.already_watched:
            self.stdout.write(f"already watched {already}")
        for raw in invalid:
            self.stderr.write(f"not a UUID: {raw!r}")
        if invalid:
            raise CommandError(f"{len(invalid)} invalid UUID(s); the valid ones were added")
