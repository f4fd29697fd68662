"""Incidents name the connection reports count them under: their first occurrence's."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    Occurrence = apps.get_model("incidents", "Occurrence")
    first = Occurrence.objects.filter(incident=OuterRef("pk")).order_by("detected_at", "id")
    Incident.objects.filter(connection__isnull=True).update(
        connection_id=Subquery(first.values("execution__connection_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial_conn"),
        ("executions", "0006_connections_conn"),
        ("incidents", "0006_routing_severity"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="connection",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                to="connections.connection",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
