"""Monitors belong to a Plannr connection; existing monitors move to `default`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import connections.models


def to_default(apps, schema_editor):
    Monitor = apps.get_model("monitors", "Monitor")
    Connection = apps.get_model("connections", "Connection")
    if not Monitor.objects.exists():
        return
    default, _ = Connection.objects.get_or_create(name="default", defaults={"base_url": settings.PLANNR_BASE_URL})
    Monitor.objects.filter(connection__isnull=True).update(connection=default)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial_conn"),
        ("monitors", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitor",
            name="connection",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="monitors",
                to="connections.connection",
            ),
        ),
        migrations.RunPython(to_default, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="monitor",
            name="connection",
            field=models.ForeignKey(
                default=connections.models.default_connection_id, on_delete=django.db.models.deletion.PROTECT,
                related_name="monitors", to="connections.connection",
            ),
        ),
    ]
