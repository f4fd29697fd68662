"""Unsubscribe tokens are no longer stored: a salt per row, and the sha256 of the token
derived from it and SECRET_KEY. Links in emails sent before this migration stop working
(their page says so and points to the alert settings); every email sent after carries the
new link (docs/alerts.md)."""

from django.db import migrations, models

import alerts.models


def fill(apps, schema_editor):
    AlertPreference = apps.get_model("alerts", "AlertPreference")
    for preference in AlertPreference.objects.only("pk").iterator():
        AlertPreference.objects.filter(pk=preference.pk).update(**alerts.models.new_unsubscribe_fields())


class Migration(migrations.Migration):
    dependencies = [("alerts", "0003_channel_deliveries")]

    operations = [
        migrations.AddField(
            model_name="alertpreference", name="unsubscribe_salt", field=models.CharField(max_length=32, default="")
        ),
        migrations.AddField(
            model_name="alertpreference", name="unsubscribe_hash", field=models.CharField(max_length=64, null=True)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveField(model_name="alertpreference", name="unsubscribe_token"),
        migrations.AlterField(
            model_name="alertpreference",
            name="unsubscribe_salt",
            field=models.CharField(default=alerts.models.new_unsubscribe_salt, max_length=32),
        ),
        migrations.AlterField(
            model_name="alertpreference",
            name="unsubscribe_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]
