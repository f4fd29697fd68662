"""The Viewer, Operator and Admin groups with their permissions.

Existing users: superusers become Admins, everyone else a Viewer, which is what
every user could do before roles existed (see their own watchlist and alerts).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# A copy of accounts.roles.PERMISSIONS as it was when this migration was written.
VIEWER = ["accounts.view_monitoring", "accounts.manage_own_watchlist"]
OPERATOR = VIEWER + ["accounts.triage_incidents", "accounts.manage_own_channels"]
ADMIN = OPERATOR + [
    "accounts.manage_monitors",
    "accounts.manage_org_channels",
    "accounts.manage_users",
    "accounts.view_audit_log",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
]
ROLES = {"Viewer": VIEWER, "Operator": OPERATOR, "Admin": ADMIN}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; the groups need them now.
    for label in ("auth", "accounts"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    groups = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        groups[name] = group
    for user in User.objects.all():
        if not user.groups.filter(name__in=ROLES).exists():
            user.groups.add(groups["Admin" if user.is_superuser else "Viewer"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
