"""Run the Plannr API simulator in the foreground until Ctrl-C or SIGTERM."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from simulator.server import SimulatorServer, token_fingerprint
from simulator.world import World

DEV_TOKEN = "sim-token"


class Command(BaseCommand):
    help = "Serve a simulated Plannr API (executions, blueprints, rate limit, faults) over HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument("--executions", type=int, default=50, help="generated executions")
        parser.add_argument(
            "--token",
            action="append",
            dest="tokens",
            metavar="T",
            help="accepted bearer token (repeatable); default PLANNR_API_TOKEN, else 'sim-token'",
        )
        parser.add_argument(
            "--second-token",
            metavar="T",
            help="a second Plannr user's token, at another firm, with its own (empty) executions",
        )
        parser.add_argument(
            "--oauth-client",
            action="append",
            default=[],
            metavar="ID:SECRET",
            help="an OAuth client that /oauth/authorize and /oauth/token accept (repeatable)",
        )
        parser.add_argument(
            "--access-token-seconds", type=int, default=3600, help="lifetime of an OAuth access token"
        )
        parser.add_argument(
            "--new-per-minute",
            type=float,
            default=0.0,
            metavar="N",
            help="a live stream: N new executions a minute across the blueprints (seeded shares)",
        )
        parser.add_argument("--rate-limit", type=int, default=500, help="requests per minute per token")
        parser.add_argument(
            "--max-request-line",
            type=int,
            default=8192,
            help="longest request line in bytes before 414 (0 means no limit)",
        )
        parser.add_argument(
            "--step-seconds",
            type=float,
            nargs=2,
            default=(4.0, 20.0),
            metavar=("LOW", "HIGH"),
            help="how long each generated step takes, drawn between LOW and HIGH seconds",
        )

    def handle(self, *args, **options):
        if options["executions"] < 0 or options["rate_limit"] < 1 or options["new_per_minute"] < 0:
            raise CommandError("--executions and --new-per-minute must be >= 0 and --rate-limit >= 1")
        tokens = options["tokens"] or [settings.PLANNR_API_TOKEN or DEV_TOKEN]
        clients = dict(pair.partition(":")[::2] for pair in options["oauth_client"])
        if any(not key or not secret for key, secret in clients.items()):
            raise CommandError("--oauth-client takes ID:SECRET")
        try:
            world = World(
                seed=options["seed"],
                executions=options["executions"],
                step_seconds=tuple(options["step_seconds"]),
                new_per_minute=options["new_per_minute"],
            )
            server = SimulatorServer(
                world,
                options["host"],
                options["port"],
                tokens=tokens,
                rate_limit_per_minute=options["rate_limit"],
                max_request_line=options["max_request_line"] or None,
                second_token=options["second_token"],
                oauth_clients=clients,
                access_token_seconds=options["access_token_seconds"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot start the simulator: {exc}") from exc

        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())

        described = [
            f"'{t}'" if t == DEV_TOKEN else f"token fingerprint {token_fingerprint(t)}" for t in tokens
        ]
        self.stdout.write(
            f"Plannr simulator on {server.url} serving {len(world)} executions "
            f"(seed {options['seed']}, {options['new_per_minute']:g} new a minute) for firm account "
            f"{server.user.account_uuid}; accepts {', '.join(described)}. Ctrl-C stops it."
        )
        self.stdout.flush()
        server.serve_until(stop)
        self.stdout.write("Plannr simulator stopped.")
