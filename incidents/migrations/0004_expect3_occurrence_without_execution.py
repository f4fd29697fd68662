# A missing incident of a blueprint with no stored execution has an occurrence without one
# (expectations/breaches.py). Only the column's NOT NULL goes: every row is kept as it is.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("executions", "0001_initial"),
        ("incidents", "0003_incident_family_expect"),
    ]

    operations = [
        migrations.AlterField(
            model_name="occurrence",
            name="execution",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                related_name="incident_occurrences", to="executions.execution",
            ),
        ),
    ]
