"""Occurrences speak the one failure-kind vocabulary (executions.models.FailureKind).

An occurrence's kind was step_failed, hidden_failure or execution_failed where its
incident's family said failed or hidden; it is now the incident's kind, and "on the
execution itself" is what a blank step_uuid already said. Rows are rewritten, none
dropped; going back restores the old words (execution_failed where step_uuid is blank).
"""

from django.db import migrations, models

OLD_TO_NEW = {"step_failed": "failed", "execution_failed": "failed", "hidden_failure": "hidden"}


def forwards(apps, schema_editor):
    Occurrence = apps.get_model("incidents", "Occurrence")
    for old, new in OLD_TO_NEW.items():
        Occurrence.objects.filter(kind=old).update(kind=new)


def backwards(apps, schema_editor):
    Occurrence = apps.get_model("incidents", "Occurrence")
    Occurrence.objects.filter(kind="hidden").update(kind="hidden_failure")
    Occurrence.objects.filter(kind="failed", step_uuid="").update(kind="execution_failed")
    Occurrence.objects.filter(kind="failed").update(kind="step_failed")


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0004_expect3_occurrence_without_execution"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="occurrence",
            name="kind",
            field=models.CharField(
                choices=[
                    ("failed", "Failed"),
                    ("hidden", "Hidden failure"),
                    ("stalled", "Stalled"),
                    ("missing", "Missing"),
                    ("late", "Late"),
                ],
                max_length=20,
            ),
        ),
    ]
