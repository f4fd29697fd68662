"""BlueprintDay keeps every count a report needs.

Rows written before this were pruned executions, all finished: `finished` is their count
and `failed` their failing count; hidden, late and the clients were not kept (0, none).
"""

from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    BlueprintDay = apps.get_model("monitors", "BlueprintDay")
    BlueprintDay.objects.update(finished=F("executions"), failed=F("failing"))


class Migration(migrations.Migration):
    dependencies = [
        ("monitors", "0003_expect3_blueprintday_connection"),
    ]

    operations = [
        migrations.AddField(model_name="blueprintday", name="finished", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="blueprintday", name="failed", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="blueprintday", name="hidden", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(model_name="blueprintday", name="late", field=models.PositiveIntegerField(default=0)),
        migrations.AddField(
            model_name="blueprintday", name="client_hashes", field=models.JSONField(blank=True, default=list)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
