"""accounts.view_personal_data, given to the Operator and Admin groups (issue 24)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for label in ("accounts", "executions"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="accounts", codename="view_personal_data")
    for group in Group.objects.filter(name__in=("Operator", "Admin")):
        group.permissions.add(permission)
    # The executions' admin list, where Admins erase a client's data (privacy/admin.py).
    view = Permission.objects.get(content_type__app_label="executions", codename="view_execution")
    for group in Group.objects.filter(name="Admin"):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_reports_profile_report_emails"), ("executions", "0001_initial")]

    operations = [
        migrations.AlterModelOptions(
            name="access",
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_monitoring", "See monitors, incidents and the executions they cover"),
                    ("manage_own_watchlist", "Watch and unwatch executions on one's own watchlist"),
                    ("triage_incidents", "Acknowledge, resolve, snooze and assign incidents"),
                    ("manage_own_channels", "Manage one's own alert channels"),
                    ("manage_monitors", "Manage monitors"),
                    ("manage_org_channels", "Manage the organisation's alert channels"),
                    ("manage_users", "Manage users and their roles"),
                    ("view_audit_log", "Read the audit log"),
                    ("view_personal_data", "See clients' personal data on pages (others see it redacted)"),
                ],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
