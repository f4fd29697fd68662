"""`manage.py route`: routes for incidents (a contract: keep the output format).

    route add --name TEXT [--monitor ID] [--blueprint TEXT] [--family F] [--min-severity S]
              (--channel ID | --user NAME)... [--escalate "MINUTES:channel:ID" | "MINUTES:user:NAME"]...
              [--repeat-minutes R --max-repeats K]
        prints `route <id>`
    route list [--json]   one line per route in order (or a JSON array)
    route move ID (--up | --down | --to N)
        prints the new order, one `N. route ID NAME` line per route (1 matches first)
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from executions.models import FailureKind
from incidents.models import Severity
from routing import routes


class Command(BaseCommand):
    help = "Add, list or reorder the routes that decide who hears about an incident."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a route, last in order")
        add.add_argument("--name", required=True)
        add.add_argument("--monitor", type=int)
        add.add_argument("--blueprint", default="", help="a blueprint's name or uuid")
        add.add_argument("--family", default="", choices=[""] + list(FailureKind.values))
        add.add_argument("--min-severity", default="", choices=[""] + list(Severity.values))
        add.add_argument("--channel", action="append", default=[], type=int)
        add.add_argument("--user", action="append", default=[])
        add.add_argument("--escalate", action="append", default=[],
                         help='"MINUTES:channel:ID", "MINUTES:user:NAME" or "MINUTES:operators"')
        add.add_argument("--repeat-minutes", type=int)
        add.add_argument("--max-repeats", type=int, default=0)
        listing = sub.add_parser("list", help="the routes, first match first")
        listing.add_argument("--json", action="store_true")
        move = sub.add_parser("move", help="move a route earlier or later: the first match wins")
        move.add_argument("id", type=int)
        where = move.add_mutually_exclusive_group(required=True)
        where.add_argument("--up", action="store_const", const=-1, dest="by", help="one place earlier")
        where.add_argument("--down", action="store_const", const=1, dest="by", help="one place later")
        where.add_argument("--to", type=int, metavar="N", help="to place N (1 is first)")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action']}")(options)

    def _add(self, options):
        if (options["repeat_minutes"] is None) != (not options["max_repeats"]):
            raise CommandError("--repeat-minutes and --max-repeats go together.")
        try:
            route = routes.create(
                name=options["name"], monitor_id=options["monitor"], blueprint=options["blueprint"],
                family=options["family"], min_severity=options["min_severity"], channel_ids=options["channel"],
                user_names=options["user"], escalate=options["escalate"],
                repeat_minutes=options["repeat_minutes"], max_repeats=options["max_repeats"],
            )
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        self.stdout.write(f"route {route.pk}")

    def _move(self, options):
        try:
            ordered = routes.move(options["id"], by=options["by"] or 0, to=options["to"])
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        for place, route in enumerate(ordered, start=1):
            self.stdout.write(f"{place}. route {route.pk} {route.name}")

    def _list(self, options):
        rows = routes.listing()
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        if not rows:
            self.stdout.write("no routes: every incident takes the default route (watchers and subscribers)")
        for row in rows:
            when = ", ".join(f"{k}={row[k]}" for k in ("monitor", "blueprint", "family", "min_severity") if row[k])
            to = ", ".join([f"channel {c}" for c in row["channels"]] + [f"user {u}" for u in row["users"]])
            steps = "; ".join(f"after {s['after_minutes']} min {s['notify']}" for s in row["escalation"])
            repeat = f"; repeat every {row['repeat_minutes']} min x{row['max_repeats']}" if row["repeat_minutes"] else ""
            self.stdout.write(f"{row['id']}\t{row['name']}\t{when or 'any incident'}\t-> {to}"
                              + (f"\tescalate: {steps}{repeat}" if steps else ""))
