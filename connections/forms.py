from django import forms
from django.conf import settings


class AddForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="How pages and alerts name this connection.")
    base_url = forms.URLField(label="Plannr API URL", max_length=500, assume_scheme="https")
    token = forms.CharField(label="Personal access token", widget=forms.PasswordInput(render_value=False),
                            help_text="Stored encrypted; never shown again.")
    expires_at = forms.DateField(label="Token expires on", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text="Optional: the Admins are told 14 and 3 days before.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_url"].initial = settings.PLANNR_BASE_URL


class RotateForm(forms.Form):
    token = forms.CharField(label="New token", widget=forms.PasswordInput(render_value=False))
    expires_at = forms.DateField(label="Expires on", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class RenameForm(forms.Form):
    name = forms.CharField(max_length=100)


class LinksForm(forms.Form):
    execution_url_template = forms.CharField(max_length=500, required=False, label="Execution link",
                                             help_text="e.g. https://app.example.com/automations/{execution_uuid}")
    client_url_template = forms.CharField(max_length=500, required=False, label="Client link",
                                          help_text="e.g. https://app.example.com/clients/{client_uuid}")
    blueprint_url_template = forms.CharField(max_length=500, required=False, label="Blueprint link",
                                             help_text="e.g. https://app.example.com/blueprints/{blueprint_uuid}")
