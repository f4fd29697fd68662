import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="Access",
            fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))],
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
                ],
            },
        ),
        migrations.CreateModel(
            name="Profile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("time_zone", models.CharField(default="Europe/London", max_length=64, validators=[accounts.models.validate_time_zone])),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="profile", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
