"""Expectations belong to a Plannr connection; existing expectations move to `default`."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import connections.models


def to_default(apps, schema_editor):
    Expectation = apps.get_model("expectations", "Expectation")
    Connection = apps.get_model("connections", "Connection")
    if not Expectation.objects.exists():
        return
    default, _ = Connection.objects.get_or_create(name="default", defaults={"base_url": settings.PLANNR_BASE_URL})
    Expectation.objects.filter(connection__isnull=True).update(connection=default)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial_conn"),
        ("expectations", "0001_initial_expect"),
    ]

    operations = [
        migrations.AddField(
            model_name="expectation",
            name="connection",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="expectations",
                to="connections.connection",
            ),
        ),
        migrations.RunPython(to_default, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="expectation",
            name="connection",
            field=models.ForeignKey(
                default=connections.models.default_connection_id, on_delete=django.db.models.deletion.PROTECT,
                related_name="expectations", to="connections.connection",
            ),
        ),
    ]
