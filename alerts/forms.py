from django import forms

from .models import AlertPreference


class AlertPreferenceForm(forms.ModelForm):
    class Meta:
        model = AlertPreference
        fields = ["enabled", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account_email = self.instance.user.email if self.instance.user_id else ""
        self.fields["email"].help_text = (
            f"Leave blank to use your account's address ({account_email})."
            if account_email
            else "Your account has no address: alerts need one here."
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("enabled") and not cleaned.get("email") and not self.instance.user.email:
            self.add_error("email", "Alerts are on but there is no address to send them to.")
        return cleaned
