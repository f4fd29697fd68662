"""`manage.py channel`: ops tooling for alert channels (a contract: keep the output format).

    channel add --user NAME --kind email|teams|slack|webhook|apprise --url URL [--name N] [--organisation]
    channel add --user NAME --kind pagerduty (--routing-key KEY | --routing-key-file PATH) [--name N] [--organisation]
        prints `channel <id>` and, for webhook, `secret <secret>`, each on its own line
    channel test ID      sends a test message through the outbox and waits for the outcome
    channel rotate       re-encrypts every channel secret, and every Plannr connection's token, with the
                         first FIELD_ENCRYPTION_KEYS key (one line each: channels, then connections)
"""

import time

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from channels import outbox, services
from channels.models import Channel, Delivery, DeliveryState, Kind


class Command(BaseCommand):
    help = "Add a channel, send a test message, or rotate the encryption keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a channel for a user")
        add.add_argument("--user", required=True, help="username of the owner (or the admin, with --organisation)")
        add.add_argument("--kind", required=True, choices=[k.value for k in Kind])
        add.add_argument("--url", help="webhook URL, Apprise URL or email address")
        # A routing key on the command line is in the shell's history: the file keeps it out.
        add.add_argument("--routing-key", help="PagerDuty: the Events API v2 integration's routing key")
        add.add_argument("--routing-key-file", help="PagerDuty: a file holding the routing key")
        add.add_argument("--name", default="", help="display name (default: the kind)")
        add.add_argument("--organisation", action="store_true", help="an organisation channel (admins)")
        test = sub.add_parser("test", help="send a test message to a channel")
        test.add_argument("id", type=int)
        test.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the outcome (0: don't)")
        sub.add_parser("rotate", help="re-encrypt every secret with the first key")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action']}")(options)

    def _add(self, options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}.")
        kind = options["kind"]
        target = self._target(kind, options)
        try:
            # Whoever runs manage.py has the server's rights: an operator, not a user.
            channel, secret = services.create_channel(
                user, kind, options["name"] or Kind(kind).label, target, options["organisation"],
                operator=True,
            )
        except (ValidationError, PermissionDenied) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(message) from None
        self.stdout.write(f"channel {channel.pk}")
        if secret:
            self.stdout.write(f"secret {secret}")

    def _target(self, kind, options):
        key, path = options["routing_key"], options["routing_key_file"]
        if kind != Kind.PAGERDUTY:
            if key or path:
                raise CommandError("--routing-key and --routing-key-file are for --kind pagerduty.")
            if not options["url"]:
                raise CommandError("--url is required for this kind.")
            return options["url"]
        if options["url"] or bool(key) == bool(path):
            raise CommandError("--kind pagerduty takes one of --routing-key or --routing-key-file (no --url).")
        if path:
            try:
                with open(path, encoding="utf-8") as handle:
                    return handle.read().strip()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        return key

    def _test(self, options):
        from channels.tasks import enqueue_deliveries

        channel = Channel.objects.filter(pk=options["id"]).first()
        if channel is None:
            raise CommandError(f"No channel {options['id']}.")
        message = outbox.request_test(channel, None, enqueue_deliveries)
        self.stdout.write(f"test message {message.pk} queued")
        deadline = time.monotonic() + options["wait"]
        if options["wait"] <= 0:
            return
        while time.monotonic() < deadline:
            message.refresh_from_db()
            if message.is_final:
                break
            # Due and not taken by a worker: send it from here (the claim keeps it to one sender).
            if Delivery.objects.due(timezone.now()).filter(pk=message.pk).exists():
                outbox.send(message.pk)
                continue
            time.sleep(0.5)
        message = Delivery.objects.get(pk=message.pk)
        status = f" (HTTP {message.last_status_code})" if message.last_status_code else ""
        if message.state == DeliveryState.SENT:
            self.stdout.write(f"sent{status}")
        elif message.state == DeliveryState.FAILED:
            raise CommandError(f"failed{status}: {message.last_error}")
        else:
            self.stdout.write(f"{message.state}{status}: {message.last_error} (the outbox keeps trying)")

    def _rotate(self, options):
        from connections.services import rotate_keys as rotate_connection_keys

        self.stdout.write(f"re-encrypted {services.rotate_keys()} channel(s)")
        self.stdout.write(f"re-encrypted {rotate_connection_keys()} Plannr connection(s)")
