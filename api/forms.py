from datetime import timedelta

from django import forms
from django.utils import timezone

from .models import ApiToken, Scope

EXPIRY_CHOICES = [
    ("", "Never"),
    ("7", "In 7 days"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"placeholder": "e.g. ticketing sync"}),
        help_text="What the token is for, so that you know which one to revoke.",
        error_messages={"required": "Give the token a name."},
    )
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.READ, widget=forms.RadioSelect)
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")
    personal_data = forms.BooleanField(
        required=False, label="personal-data scope",
        help_text="Answers and exports show clients' names, emails and phone numbers; without it they "
                  "are redacted. Needs a role that may see personal data.",
    )

    def expires_at(self, now=None):
        days = self.cleaned_data.get("expires")
        return (now or timezone.now()) + timedelta(days=int(days)) if days else None
