"""Executions belong to a Plannr connection; existing rows move to `default`.

The `default` connection is created here without credentials; the first process
that needs it fills them in from PLANNR_API_TOKEN / PLANNR_BASE_URL /
PLANNR_ACCOUNT_UUID (connections.defaults.ensure_default). TokenState goes: a
refused token now breaks its connection.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import connections.models


def to_default(apps, schema_editor):
    Execution = apps.get_model("executions", "Execution")
    Connection = apps.get_model("connections", "Connection")
    if not Execution.objects.exists():
        return
    default, _ = Connection.objects.get_or_create(name="default", defaults={"base_url": settings.PLANNR_BASE_URL})
    Execution.objects.filter(connection__isnull=True).update(connection=default)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial_conn"),
        ("executions", "0005_drop_claim_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="execution",
            name="connection",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="executions",
                to="connections.connection",
            ),
        ),
        migrations.RunPython(to_default, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="execution",
            name="connection",
            field=models.ForeignKey(
                default=connections.models.default_connection_id, on_delete=django.db.models.deletion.PROTECT,
                related_name="executions", to="connections.connection",
            ),
        ),
        migrations.AlterField(model_name="execution", name="uuid", field=models.UUIDField(db_index=True)),
        migrations.AddConstraint(
            model_name="execution",
            constraint=models.UniqueConstraint(fields=("connection", "uuid"), name="execution_unique_per_connection"),
        ),
        migrations.DeleteModel(name="TokenState"),
    ]
