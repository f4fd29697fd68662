"""`manage.py monitor add ...` and `manage.py monitor list`: monitors from the command line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from connections.commands import connection_named
from monitors import services
from monitors.models import Monitor, Scope


class Command(BaseCommand):
    help = "Add or list monitors (standing rules that discover new Plannr executions)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a monitor; its creator (--user) is subscribed to its alerts")
        add.add_argument("--user", required=True, help="username of the monitor's creator")
        scope = add.add_mutually_exclusive_group(required=True)
        scope.add_argument("--all", action="store_true", help="every execution of the Plannr account")
        scope.add_argument("--blueprint", metavar="UUID", help="one blueprint's executions")
        scope.add_argument("--client", metavar="UUID", action="append", help="a client's executions (repeatable)")
        add.add_argument("--name", default="", help="the monitor's name")
        add.add_argument("--connection", default="default", metavar="NAME",
                         help="the Plannr connection to discover through (default: default)")
        add.add_argument("--backfill-days", type=int, default=None, metavar="N",
                         help="also take executions of the last N days (default: from now on)")
        sub.add_parser("list", help="list monitors")

    def handle(self, *args, action, **options):
        if action == "add":
            return self._add(options)
        return self._list()

    def _add(self, options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}.")
        if options["all"]:
            spec = services.MonitorSpec(scope=Scope.EVERYTHING)
        elif options["blueprint"]:
            spec = services.MonitorSpec(scope=Scope.BLUEPRINT, blueprint_uuid=options["blueprint"])
        else:
            spec = services.MonitorSpec(scope=Scope.CLIENTS, client_uuids=options["client"])
        spec.name = options["name"]
        spec.backfill_days = options["backfill_days"]
        spec.connection = connection_named(options["connection"])
        try:
            monitor = services.create_monitor(spec, creator=user)
        except services.MonitorError as exc:
            raise CommandError(str(exc)) from None
        start = f"backfilling {monitor.backfill_days} day(s)" if monitor.backfill_days else "from now on"
        self.stdout.write(f"monitor {monitor.pk} added: {monitor.name} ({monitor.scope_text()}, {start})")

    def _list(self):
        now = timezone.now()
        monitors = list(Monitor.objects.all())
        if not monitors:
            self.stdout.write("no monitors")
            return
        for m in monitors:
            state = "paused" if m.is_paused(now) else "active"
            swept = m.last_swept_at.isoformat(timespec="seconds") if m.last_swept_at else "never"
            self.stdout.write(
                f"{m.pk}\t{m.name}\t{m.scope_text()}\t{state}\tlast sweep {swept}\t"
                f"found {m.findings.count()}\tlag {m.lag_seconds:.0f}s"
            )
