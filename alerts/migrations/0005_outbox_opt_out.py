""""Unsubscribe" means leaving a monitor; turning off all alert emails from a link is "opt out".
Renames only: every link already sent keeps working (the token derivation is unchanged)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_unsubscribe_hash_sec")]

    operations = [
        migrations.RenameField("alertpreference", "unsubscribe_salt", "opt_out_salt"),
        migrations.RenameField("alertpreference", "unsubscribe_hash", "opt_out_hash"),
    ]
