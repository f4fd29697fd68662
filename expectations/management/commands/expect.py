"""`manage.py expect add|list|check`: expectations from the command line (a contract, docs/expectations.md)."""

import json

from django.core.management.base import BaseCommand, CommandError

from connections.commands import connection_named
from expectations import evaluation, services, suggestions
from expectations.models import Expectation


def as_json(expectation):
    return {
        "id": expectation.pk,
        "name": expectation.name,
        "blueprint": {"uuid": str(expectation.blueprint_uuid), "name": expectation.blueprint_name},
        "connection": expectation.connection.name,
        "kind": expectation.kind,
        "rule": expectation.rule_text(),
        "state": expectation.state,
        "last_checked": expectation.last_checked.isoformat() if expectation.last_checked else None,
    }


class Command(BaseCommand):
    help = "Add, list or check expectations (expected runs and deadlines per blueprint)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add an expectation; prints `expectation ID`")
        add.add_argument("--blueprint", required=True, metavar="UUID", help="the blueprint's Plannr uuid")
        add.add_argument("--at-least", type=int, metavar="N", help="volume: at least N executions ...")
        add.add_argument("--within", type=int, metavar="MINUTES", help="... within every window of MINUTES")
        add.add_argument("--finish-within", type=int, metavar="MINUTES",
                         help="deadline: every execution finishes within MINUTES of its creation")
        add.add_argument("--hours", default="", help='business hours, e.g. "mon-fri 08:00-18:00"')
        add.add_argument("--tz", default="Europe/London", metavar="ZONE", help="the hours' time zone")
        add.add_argument("--name", default="", metavar="TEXT")
        add.add_argument("--connection", default="default", metavar="NAME",
                         help="the Plannr connection whose blueprint it is (default: default)")
        listing = sub.add_parser("list", help="list expectations with their state")
        listing.add_argument("--json", action="store_true", help="print a JSON list")
        sub.add_parser("check", help="evaluate every expectation now and print each breach")
        suggest = sub.add_parser("suggest", help="learn a volume expectation from history (shown until accepted)")
        suggest.add_argument("--blueprint", required=True, metavar="UUID")
        suggest.add_argument("--tz", default="Europe/London", metavar="ZONE")
        suggest.add_argument("--connection", default="default", metavar="NAME",
                             help="the Plannr connection whose blueprint and history it is (default: default)")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(options)

    def _add(self, options):
        if options["finish_within"] is not None and (options["at_least"] is not None or options["within"] is not None):
            raise CommandError("Give either --at-least N --within MINUTES or --finish-within MINUTES, not both.")
        spec = services.ExpectationSpec(
            blueprint_uuid=options["blueprint"], at_least=options["at_least"], within_minutes=options["within"],
            finish_within_minutes=options["finish_within"], hours=options["hours"], time_zone=options["tz"],
            name=options["name"], connection=connection_named(options["connection"]),
        )
        try:
            expectation = services.create(spec)
        except services.ExpectationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"expectation {expectation.pk}")

    def _list(self, options):
        expectations = Expectation.objects.accepted().select_related("connection")
        if options["json"]:
            self.stdout.write(json.dumps([as_json(e) for e in expectations], ensure_ascii=False))
            return
        rows = 0
        for e in expectations:
            rows += 1
            self.stdout.write(
                f"#{e.pk} {e.blueprint_name} ({e.blueprint_uuid}, {e.connection.name}) | {e.kind}: {e.rule_text()} | {e.state}"
                f"{': ' + e.reason if e.reason else ''}"
            )
        if not rows:
            self.stdout.write("No expectations.")

    def _check(self, options):
        verdicts = evaluation.evaluate()
        breached = [v for v in verdicts if v.breached]
        for v in breached:
            self.stdout.write(f"BREACH #{v.expectation.pk} {v.expectation.blueprint_name}: {v.reason}")
        self.stdout.write(f"{len(verdicts)} checked, {len(breached)} breached.")

    def _suggest(self, options):
        try:
            blueprint_uuid = services.normalise_uuid(options["blueprint"])
            if blueprint_uuid is None:
                raise services.ExpectationError(f"Not a valid blueprint UUID: {options['blueprint']}")
            connection = connection_named(options["connection"])
            suggestion = suggestions.suggest(
                connection, blueprint_uuid, services.blueprint_name(blueprint_uuid, connection), options["tz"]
            )
        except (services.ExpectationError, suggestions.NoSuggestion) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"suggestion {suggestion.pk}: {suggestion.rule_text()} ({suggestion.reason})")
