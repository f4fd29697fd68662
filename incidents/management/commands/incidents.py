"""`manage.py incidents [--json] [--status S]` lists incidents; `incidents resolve ID` and
`incidents ack ID` change one, as ops tooling (the history says "by the system")."""

import json

from django.core.management.base import BaseCommand, CommandError

from incidents import services
from incidents.models import Incident, Status

ACTIONS = {"resolve": services.resolve, "ack": services.acknowledge}


def as_json(incident):
    """The command's JSON contract (docs/alerts.md): keep these names."""
    return {
        "id": incident.pk,
        "title": incident.title,
        "blueprint": incident.blueprint_name,
        "step": incident.step_name,
        "family": incident.family,
        "status": incident.status,
        "regression": incident.regression and incident.status == Status.OPEN,
        "occurrences": incident.occurrences,
        "clients": incident.clients,
        "first_seen": incident.first_seen.isoformat(),
        "last_seen": incident.last_seen.isoformat(),
    }


class Command(BaseCommand):
    help = "List incidents, or resolve / acknowledge one: incidents [--json] [--status S] | incidents resolve|ack ID"

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", choices=sorted(ACTIONS), help="resolve or ack an incident")
        parser.add_argument("id", nargs="?", type=int, help="the incident's id (with an action)")
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument("--status", choices=Status.values, help="only incidents in this status")

    def handle(self, *args, **options):
        if options["action"]:
            return self._act(options["action"], options["id"])
        incidents = Incident.objects.with_status(options["status"]).needing_attention_first()
        if options["json"]:
            self.stdout.write(json.dumps([as_json(i) for i in incidents.iterator()], ensure_ascii=False))
            return
        count = 0
        for incident in incidents.iterator():
            count += 1
            flag = " (regression)" if incident.regression else ""
            self.stdout.write(
                f"#{incident.pk} [{incident.status}{flag}] {incident.title} | {incident.blueprint_name} | "
                f"{incident.occurrences} executions, {incident.clients} clients, last seen {incident.last_seen:%Y-%m-%d %H:%M}"
            )
        if not count:
            self.stdout.write("No incidents.")

    def _act(self, action, pk):
        if pk is None:
            raise CommandError(f"Which incident? Usage: incidents {action} ID")
        incident = Incident.objects.filter(pk=pk).first()
        if incident is None:
            raise CommandError(f"No incident #{pk}.")
        incident = ACTIONS[action](incident, by=None)
        self.stdout.write(f"Incident #{incident.pk} is {incident.status}.")
