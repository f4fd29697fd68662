"""`manage.py plannr`: Plannr connections from the command line (a contract: other tools call it).

    plannr connect --name NAME --token-file PATH [--base-url URL] [--account UUID] [--expires YYYY-MM-DD]
        tests the token first; prints `connection NAME account UUID (ACCOUNT NAME, FIRM)`;
        exits non-zero, storing nothing, when Plannr refuses the token or the account is ambiguous
    plannr connections [--json]
        one row per connection; JSON fields id, name, account_uuid, account_name, firm, state,
        broken_since, last_success, expires_at, budget_remaining
    plannr test NAME
        exits 0 when the connection works
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from connections import services
from connections.commands import connection_named
from connections.models import Connection
from plannr.ratelimit import get_rate_limiter


class Command(BaseCommand):
    help = "Connect to Plannr, list connections, or test one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        connect = sub.add_parser("connect", help="create, or update by name, a connection (tested first)")
        connect.add_argument("--name", required=True)
        connect.add_argument("--token-file", required=True, metavar="PATH",
                             help="a file holding the personal access token (never a command-line argument)")
        connect.add_argument("--base-url", default=None, metavar="URL", help="default: PLANNR_BASE_URL")
        connect.add_argument("--account", default=None, metavar="UUID", help="the account to act for")
        connect.add_argument("--expires", default=None, metavar="YYYY-MM-DD", help="the token's expiry date")
        listing = sub.add_parser("connections", help="list connections")
        listing.add_argument("--json", action="store_true")
        test = sub.add_parser("test", help="test a connection; exit 0 when it works")
        test.add_argument("name")

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(options)

    def _connect(self, options):
        try:
            token = Path(options["token_file"]).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the token file: {type(exc).__name__}") from None
        if not token:
            raise CommandError("the token file is empty")
        expires = None
        if options["expires"]:
            try:
                expires = services.expiry_day(options["expires"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        try:
            connection, _ = services.connect(
                options["name"], token, base_url=options["base_url"], account=options["account"], expires=expires
            )
        except services.ConnectError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"connection {connection.name} account {connection.account_label}")

    def _connections(self, options):
        limiter = get_rate_limiter()
        rows = []
        for c in Connection.objects.all():
            reported = limiter.reported_remaining(c.budget_key)
            rows.append({
                "id": c.pk,
                "name": c.name,
                "account_uuid": str(c.account_uuid) if c.account_uuid else None,
                "account_name": c.account_name,
                "firm": c.firm_name,
                "state": str(c.state()),
                "broken_since": c.broken_since.isoformat() if c.broken_since else None,
                "last_success": c.last_success.isoformat() if c.last_success else None,
                "expires_at": c.expires_at.isoformat() if c.expires_at else None,
                "budget_remaining": reported if reported is not None else c.ratelimit_remaining,
            })
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("no connections")
        for r in rows:
            since = f" since {r['broken_since']}" if r["broken_since"] else ""
            self.stdout.write(
                f"{r['id']}\t{r['name']}\t{r['account_uuid'] or '-'} ({r['account_name']}, {r['firm']})\t"
                f"{r['state']}{since}\tlast success {r['last_success'] or 'never'}\t"
                f"expires {r['expires_at'] or '-'}\tbudget {r['budget_remaining'] if r['budget_remaining'] is not None else '-'}"
            )

    def _test(self, options):
        connection = connection_named(options["name"])
        ok, message = services.test(connection)
        if not ok:
            raise CommandError(f"connection {connection.name} does not work: {message}")
        self.stdout.write(message)
