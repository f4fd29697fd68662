"""Unsubscribe tokens are no longer stored: a salt per row, and the sha256 of the token
derived from it and SECRET_KEY. Links in emails sent before this migration stop working
(their page says so and points to the alert settings); every email sent after carries the
new link (docs/alerts.md)."""

from django.db import migrations, models

import alerts.models


def fill(apps, schema_editor):
    AlertPreference = apps.get_model("alerts", "AlertPreference")
    for preference in AlertPreference.objects.only("pk").iterator():
        salt = alerts.models.new_opt_out_salt()
        token_hash = alerts.models.opt_out_hash_of(alerts.models.opt_out_token_for(salt))
        AlertPreference.objects.filter(pk=preference.pk).update(unsubscribe_salt=salt, unsubscribe_hash=token_hash)


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
            field=models.CharField(default=alerts.models.new_opt_out_salt, max_length=32),
        ),
        migrations.AlterField(
            model_name="alertpreference",
            name="unsubscribe_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
    ]
