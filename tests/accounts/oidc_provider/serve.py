"""Migrate, create one user and one client application, and serve: argv = port redirect_uri."""

import os
import sys

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

port, redirect_uri = sys.argv[1], sys.argv[2]
call_command("migrate", verbosity=0)
user = User.objects.create_user("erin", "erin@example.com", os.environ["OIDC_PROVIDER_PASSWORD"])
user.groups.add(Group.objects.create(name="monitor.operator"))
Application.objects.create(
    name="Plannr monitor",
    client_id=os.environ["OIDC_CLIENT_ID"],
    client_secret=os.environ["OIDC_CLIENT_SECRET"],
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=redirect_uri,
    algorithm=Application.RS256_ALGORITHM,
    skip_authorization=True,
)
call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)
