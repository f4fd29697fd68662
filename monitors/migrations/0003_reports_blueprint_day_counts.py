"""BlueprintDay keeps every count a report needs, per connection too.

Rows written before this were pruned executions, all finished: `finished` is their count
and `failed` their failing count. Their connection is the only one when there is just one;
otherwise it stays unknown (null).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    BlueprintDay = apps.get_model("monitors", "BlueprintDay")
    Connection = apps.get_model("connections", "Connection")
    BlueprintDay.objects.update(finished=F("executions"), failed=F("failing"))
    ids = list(Connection.objects.values_list("pk", flat=True)[:2])
    if len(ids) == 1:
        BlueprintDay.objects.filter(connection__isnull=True).update(connection_id=ids[0])


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
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                to="connections.connection",
            ),
        ),
        migrations.AddField(model_name="blueprintday", name="finished", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="blueprintday", name="failed", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="blueprintday", name="hidden", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="blueprintday", name="late", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(
            model_name="blueprintday", name="client_hashes", field=models.JSONField(blank=True, default=list)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="blueprintday",
            constraint=models.UniqueConstraint(
                fields=("day", "connection", "blueprint_name"), name="blueprint_day_unique_conn"
            ),
        ),
    ]
