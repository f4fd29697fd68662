"""The alert outbox moved to channels.Delivery (channels 0004 copied every row): drop the old
tables (channels 0005 then gives the new rows the related names the old ones had). Alert.kind takes the one
vocabulary of alert events (adds "resolved"; no stored value changes)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0005_outbox_opt_out"),
        ("channels", "0004_outbox_delivery"),
    ]

    operations = [
        migrations.DeleteModel(name="ChannelDelivery"),
        migrations.DeleteModel(name="Delivery"),
        migrations.DeleteModel(name="Digest"),
        migrations.AlterField(
            model_name="alert",
            name="kind",
            field=models.CharField(choices=[("opened", "New incident"), ("regressed", "Regression"), ("reminder", "Still failing"), ("resolved", "Resolved")], max_length=10),
        ),
    ]
