"""Pruned daily counts belong to a Plannr connection, as their executions did; existing rows move to
`default` (the only connection before connections existed for them). Nothing is dropped."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import connections.models


def to_default(apps, schema_editor):
    BlueprintDay = apps.get_model("monitors", "BlueprintDay")
    Connection = apps.get_model("connections", "Connection")
    if not BlueprintDay.objects.exists():
        return
    default, _ = Connection.objects.get_or_create(name="default", defaults={"base_url": settings.PLANNR_BASE_URL})
    BlueprintDay.objects.filter(connection__isnull=True).update(connection=default)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial_conn"),
        ("monitors", "0002_monitor_connection_conn"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="blueprintday", name="blueprint_day_unique"),
        migrations.AddField(
            model_name="blueprintday",
            name="connection",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="connections.connection",
            ),
        ),
        migrations.RunPython(to_default, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="blueprintday",
            name="connection",
            field=models.ForeignKey(
                default=connections.models.default_connection_id, on_delete=django.db.models.deletion.PROTECT,
                related_name="+", to="connections.connection",
            ),
        ),
        migrations.AddConstraint(
            model_name="blueprintday",
            constraint=models.UniqueConstraint(fields=("day", "connection", "blueprint_name"), name="blueprint_day_unique"),
        ),
    ]
