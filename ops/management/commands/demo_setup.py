"""Create the demo user, an "everything" monitor for it, and put a dozen executions on its watchlist.

The executions come from Plannr's real list endpoint (the simulator's, in the
embedded run), a mix of statuses so the dashboard shows running, finished and
failing ones. Running it again changes nothing but the password, when one is given.
"""

import os
import secrets
import time
from collections import defaultdict
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import roles
from executions.models import Execution
from connections.clients import default_client
from plannr import InvalidPayload, PlannrError, PlannrTimeout, TransportError
from executions.watching import watch_executions

DEMO_LABEL = "demo"
# The simulator's "Annual review reminder" (simulator/stories.py): the demo's expectations.
DEMO_BLUEPRINT_UUID = "35c075a3-874f-5074-92cd-a03395b6727e"


def fetch_recent_executions(limit, *, per_page=100):
    """The most recent executions, as Plannr lists them (one page is enough for a demo).

    Through the product's client: the shared rate budget, and error messages that
    never carry the token.
    """
    if not settings.PLANNR_API_TOKEN:
        raise CommandError("PLANNR_API_TOKEN is not set: cannot ask Plannr for executions.")
    try:
        return default_client().list_recent_payloads(max(per_page, limit))
    except PlannrError as exc:
        raise plannr_error(exc) from None


def plannr_error(exc):
    """A CommandError saying what Plannr did, never with the token."""
    if isinstance(exc, (PlannrTimeout, TransportError)):
        return CommandError(f"Plannr at {_where()} did not answer ({exc.api_message or type(exc).__name__}).")
    if isinstance(exc, InvalidPayload):
        return CommandError(f"Plannr at {_where()} sent an answer that is not the documented JSON.")
    if exc.status_code is None:  # no account to act for: the message lists the accounts
        return CommandError(f"Plannr at {_where()}: {exc}")
    return CommandError(f"Plannr at {_where()} answered HTTP {exc.status_code} ({exc.path}).")


def _where():
    parts = urlsplit(settings.PLANNR_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def varied_selection(items, count):
    """Up to `count` executions, taking statuses in turn so that every kind shows."""
    by_status = defaultdict(list)
    for item in items:
        by_status[str(item.get("status", "")).lower()].append(item)
    chosen = []
    while len(chosen) < count and any(by_status.values()):
        for status in sorted(by_status):
            if by_status[status] and len(chosen) < count:
                chosen.append(by_status[status].pop(0))
    return chosen


class Command(BaseCommand):
    help = "Create the demo user (idempotent), print its login, and watch a dozen executions from Plannr."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--email", default="demo@example.com")
        parser.add_argument(
            "--password",
            default=None,
            help="defaults to $DEMO_PASSWORD; without either a new random password is set",
        )
        parser.add_argument("--count", type=int, default=12, help="how many executions to watch")
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            help="seconds to wait for the watched executions' first poll (0: do not wait)",
        )

    def handle(self, *args, username, email, password, count, wait, **options):
        password = password or os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        # The demo is one person trying everything: monitors, channels, poll health, audit.
        roles.assign_role(user, roles.ADMIN)
        self.stdout.write(f"Demo user {username!r} {'created' if created else 'ready'}.")
        self.stdout.write(f"Log in as: {username} / {password}")

        self._connect()
        self._monitor_everything(user)
        self._expectations(user)
        if count <= 0:
            return
        chosen = varied_selection(fetch_recent_executions(count), count)
        if not chosen:
            self.stdout.write(f"Plannr at {_where()} lists no executions: the watchlist stays empty.")
            return
        uuids = [item["uuid"] for item in chosen]
        result = watch_executions(user, uuids, label=DEMO_LABEL)
        self.stdout.write(
            f"Watching {len(uuids)} executions from {_where()} "
            f"({len(result.created)} new, {len(result.already_watched)} already watched)."
        )
        if wait > 0:
            self._wait_for_first_poll(uuids, wait)

    def _connect(self):
        """The `default` connection, its account chosen through /api/v1/logins as a real user's would be."""
        from connections import services
        from connections.defaults import ensure_default

        try:
            connection = services.ensure_account(ensure_default())
        except PlannrError as exc:
            raise plannr_error(exc) from None
        self.stdout.write(f"Connection {connection.name} acts for account {connection.account_label}.")

    def _monitor_everything(self, user):
        """An "everything" monitor for the demo user, so new executions keep arriving."""
        from monitors import services
        from monitors.models import Monitor, Scope

        if Monitor.objects.filter(scope=Scope.EVERYTHING, created_by=user).exists():
            return
        spec = services.MonitorSpec(scope=Scope.EVERYTHING, name="Every new execution")
        services.create_monitor(spec, creator=user)
        self.stdout.write("Monitoring every new execution (monitor \"Every new execution\").")

    def _expectations(self, user):
        """One volume expectation and one deadline on a simulator blueprint (docs/expectations.md):
        `manage.py simulator_blueprint stop "Annual review reminder"` silences it."""
        from expectations import services
        from expectations.models import Expectation

        if Expectation.objects.filter(blueprint_uuid=DEMO_BLUEPRINT_UUID).exists():
            return
        try:
            services.create(services.ExpectationSpec(
                blueprint_uuid=DEMO_BLUEPRINT_UUID, at_least=1, within_minutes=10, name="Reviews keep coming"), by=user)
            services.create(services.ExpectationSpec(
                blueprint_uuid=DEMO_BLUEPRINT_UUID, finish_within_minutes=10, name="Reviews finish"), by=user)
        except services.ExpectationError as exc:  # real Plannr: its blueprints are not the simulator's
            self.stdout.write(f"No demo expectations: {exc}")
            return
        self.stdout.write(
            "Expecting Annual review reminder at least once every 10 minutes, each finishing within 10 minutes "
            "(manage.py simulator_blueprint stop \"Annual review reminder\" silences it)."
        )

    def _wait_for_first_poll(self, uuids, timeout):
        deadline = time.monotonic() + timeout
        polled = 0
        while time.monotonic() < deadline:
            polled = Execution.objects.filter(uuid__in=uuids, last_polled_at__isnull=False).count()
            if polled == len(uuids):
                self.stdout.write(f"All {polled} have been polled: the dashboard is live.")
                return
            time.sleep(0.5)
        self.stdout.write(
            f"Only {polled} of {len(uuids)} polled after {timeout:.0f} s; the worker's lines above say why."
        )
