import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from .models import Profile


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, posted as `username` (the site's form always used that name)."""

    def add_prefix(self, field_name):
        return super().add_prefix("username" if field_name == "login" else field_name)


def _zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    time_zone = forms.TypedChoiceField(choices=_zone_choices, label="Time zone")

    class Meta:
        model = Profile
        fields = ["time_zone"]
