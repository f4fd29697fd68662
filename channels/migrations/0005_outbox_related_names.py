"""The old alert outbox tables are gone (alerts 0006): the one outbox takes their related names
(alert.deliveries, user.alert_deliveries, window.deliveries). No SQL."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0006_outbox_moved"),
        ("channels", "0004_outbox_delivery"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery", name="alert",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="deliveries", to="alerts.alert"),
        ),
        migrations.AlterField(
            model_name="delivery", name="user",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="alert_deliveries", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="delivery", name="window",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="deliveries", to="alerts.throttlewindow"),
        ),
    ]
