"""`python manage.py api_token --user NAME [--scope read|write]`: print a new API token."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import tokens
from api.models import Scope


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The username the token acts as.")
        parser.add_argument(
            "--scope", choices=Scope.values, default=Scope.READ, help="read (default) or write."
        )
        parser.add_argument("--name", default="created by manage.py api_token", help="What the token is for.")
        parser.add_argument(
            "--personal-data", action="store_true",
            help="Add the personal-data scope: answers and exports are not redacted (the user's role "
                 "must allow personal data too).",
        )

    def handle(self, *args, user, scope, name, personal_data=False, **options):
        User = get_user_model()
        try:
            owner = User.objects.get(**{User.USERNAME_FIELD: user})
        except User.DoesNotExist:
            raise CommandError(f"No user named {user!r}.") from None
        if not owner.is_active:
            raise CommandError(f"User {user!r} is inactive: their tokens would not work.")
        _, raw = tokens.create_token(owner, name, scope, personal_data=personal_data)
        # The token alone on stdout, so that scripts can capture it; the rest to stderr.
        self.stdout.write(raw)
        scopes = f"{scope} + personal-data" if personal_data else scope
        self.stderr.write(f"Created a {scopes} token for {user}. It is not stored: keep it now.")
