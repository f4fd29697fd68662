from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.AddField(model_name="apitoken", name="personal_data", field=models.BooleanField(default=False)),
    ]
