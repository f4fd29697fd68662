"""Adding a channel: one form, validated per kind. The target never comes back as initial data."""

import re
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import validate_email

from accounts.rules import ADD_APPRISE_CHANNELS, ORG_CHANNELS

from . import network
from .models import Kind

# Organisation channels are the Admin role's (accounts/rules.py).
PERMISSION = ORG_CHANNELS

HELP = {
    Kind.EMAIL: "The address to email.",
    Kind.TEAMS: "The URL of a Teams Workflows webhook (the \u201cPost to a channel when a webhook request is "
    "received\u201d template). Old Office 365 connector URLs no longer work.",
    Kind.SLACK: "The URL of a Slack incoming webhook (https://hooks.slack.com/services/\u2026).",
    Kind.WEBHOOK: "Your receiver's URL. Each message is signed (Standard Webhooks); the secret is shown once.",
    Kind.APPRISE: "An Apprise URL (admins only).",
    Kind.PAGERDUTY: "The routing key of a PagerDuty service's Events API v2 integration.",
}


# What the target is called on each kind's form.
TARGET_LABELS = {
    Kind.EMAIL: "Email address",
    Kind.TEAMS: "Workflows webhook URL",
    Kind.SLACK: "Incoming webhook URL",
    Kind.WEBHOOK: "Receiver URL",
    Kind.APPRISE: "Apprise URL",
    Kind.PAGERDUTY: "Routing key",
}


def kinds_for(user):
    """Apprise URLs can reach anything: only Admins may add them (accounts/rules.py)."""
    return [(k.value, k.label) for k in Kind if k != Kind.APPRISE or user.has_perm(ADD_APPRISE_CHANNELS)]


def validate_target(kind, value):
    """The cleaned target for `kind`; raises ValidationError with a message that does not echo it."""
    value = (value or "").strip()
    if not value:
        raise forms.ValidationError("Enter where to send.")
    if kind == Kind.EMAIL:
        try:
            validate_email(value)
        except forms.ValidationError:
            raise forms.ValidationError("Enter a valid email address.") from None
        return value
    if kind == Kind.PAGERDUTY:
        # An Events API v2 integration key: 32 letters and digits.
        if not re.fullmatch(r"[A-Za-z0-9]{20,64}", value):
            raise forms.ValidationError("Enter the integration's routing key (32 letters and digits).")
        return value
    if kind == Kind.APPRISE:
        import apprise

        if apprise.Apprise.instantiate(value) is None:
            raise forms.ValidationError("Apprise does not recognise this URL.")
        return _guarded(value)
    try:
        parts = urlsplit(value)
    except ValueError:
        raise forms.ValidationError("Enter a valid URL.") from None
    # Teams and Slack URLs are always https; plain http only for an internal relay or a test receiver.
    chat_https_only = kind in (Kind.TEAMS, Kind.SLACK) and not settings.ALLOW_PRIVATE_WEBHOOK_TARGETS
    allowed = ("https",) if chat_https_only else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise forms.ValidationError(f"Enter a full {' or '.join(allowed)} URL.")
    return _guarded(value)


def _guarded(url):
    """`url` if the send-time network guard would let it through; else its refusal, said now."""
    try:
        network.check_url(url)
    except network.Refused as exc:
        raise forms.ValidationError(str(exc)) from None
    except OSError:
        pass  # does not resolve now: the send says so, as it does for any outage
    return url


class ChannelForm(forms.Form):
    """The form for one kind (chosen before, carried as a hidden field)."""

    kind = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    name = forms.CharField(max_length=100)
    # For URLs a password input: the browser neither shows nor autocompletes it,
    # and a re-rendered form (after an error) comes back empty.
    target = forms.CharField(max_length=2000, widget=forms.PasswordInput(render_value=False))
    organisation = forms.BooleanField(
        label="Organisation channel (managed by admins, attachable to monitors)", required=False
    )

    def __init__(self, *args, user, kind, **kwargs):
        super().__init__(*args, initial={"kind": kind}, **kwargs)
        self.user = user
        self.fields["kind"].choices = kinds_for(user)
        self.fields["target"].label = TARGET_LABELS[kind]
        self.fields["target"].help_text = HELP[kind]
        if kind == Kind.EMAIL:  # an address is not a credential
            self.fields["target"].widget = forms.EmailInput()
        if not user.has_perm(PERMISSION):
            del self.fields["organisation"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind and "target" in self.data:
            try:
                data["target"] = validate_target(kind, self.data.get("target"))
            except forms.ValidationError as exc:
                self.add_error("target", exc)
        return data
