"""`manage.py simulator_blueprint stop|start|list [NAME-OR-UUID]`: silence one blueprint of the
running simulator (the one PLANNR_BASE_URL points at), to watch a missing incident open and resolve."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from simulator import stories
from simulator.control import SimulatorControl, SimulatorControlError


class Command(BaseCommand):
    help = "Stop or restart the simulator's new executions of one blueprint; list blueprints."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["stop", "start", "list"])
        parser.add_argument("blueprint", nargs="?", help="a blueprint's name or uuid (stop, start)")

    def handle(self, *args, action, blueprint, **options):
        control = SimulatorControl(settings.PLANNR_BASE_URL, settings.PLANNR_API_TOKEN, timeout=10)
        try:
            if action == "list":
                for bp in control.blueprints():
                    self.stdout.write(f"{bp['uuid']}  {'stopped' if bp['stopped'] else 'running'}  {bp['name']}")
                return
            if not blueprint:
                raise CommandError(f"Which blueprint? Usage: simulator_blueprint {action} NAME-OR-UUID")
            found = stories.BLUEPRINTS_BY_NAME.get(blueprint) or stories.BLUEPRINTS_BY_UUID.get(blueprint.lower())
            if found is None:
                raise CommandError(f"The simulator has no blueprint {blueprint!r} (simulator_blueprint list).")
            result = (control.stop_blueprint if action == "stop" else control.start_blueprint)(found.uuid)
        except SimulatorControlError as exc:
            raise CommandError(f"The simulator at {settings.PLANNR_BASE_URL} refused: {exc}") from None
        except OSError as exc:
            raise CommandError(f"No simulator answers at {settings.PLANNR_BASE_URL}: {exc}") from None
        state = "stopped: no new executions" if result["stopped"] else "running again"
        self.stdout.write(f"{result['name']} ({result['uuid']}) {state}.")
