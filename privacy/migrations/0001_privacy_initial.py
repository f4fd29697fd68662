import privacy.models
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="RedactionRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="Shown in the mask: [name].", max_length=60, unique=True)),
                ("pattern", models.CharField(help_text="A Python regular expression, matched case-sensitively.",
                                             max_length=500, validators=[privacy.models.validate_pattern])),
                ("action", models.CharField(choices=[("mask", "Mask (replace with [name])"), ("remove", "Remove"),
                                                     ("hash", "Hash (a keyed digest, the same for the same value)")],
                                            default="mask", max_length=6)),
                ("enabled", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={"ordering": ["name"]},
        ),
    ]
