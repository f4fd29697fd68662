import re

from django import forms

from connections.models import Connection
from dashboard import errors
from executions.models import Execution
from executions.paste import parse_uuid

from .models import Monitor, Scope
from .services import MAX_BACKFILL_DAYS, MonitorSpec

# How many clients the picker offers (by name); any other is pasted.
CLIENTS_OFFERED = 500

_SPLIT = re.compile(r"[\s,;]+")


def _items(text):
    return [item for item in _SPLIT.split(text or "") if item]


class MonitorForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Optional: a name is made from the scope.")
    scope = forms.ChoiceField(choices=Scope.choices, widget=forms.RadioSelect, initial=Scope.EVERYTHING)
    blueprint_uuid = forms.CharField(
        label="Blueprint UUID", required=False, max_length=2000,
        widget=forms.TextInput(attrs={"list": "blueprints-seen", "autocomplete": "off", "spellcheck": "false"}),
        help_text="Pick one a monitor already uses, or paste its UUID or its Plannr link.",
    )
    client_uuids = forms.CharField(
        label="Client UUIDs", required=False, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One or more UUIDs or Plannr links, separated by newlines, commas or spaces.",
    )
    clients_seen = forms.MultipleChoiceField(
        label="Clients seen", required=False, widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Clients of the executions seen so far: pick any (Ctrl or ⌘ for several), with or instead of the UUIDs above.",
    )
    name_contains = forms.CharField(label="Only if the blueprint name contains", required=False, max_length=200)
    triggered_by = forms.CharField(
        label="Only if triggered by", required=False, max_length=2000,
        help_text="Event names, e.g. client.created, separated by commas.",
    )
    backfill_days = forms.IntegerField(
        label="Backfill days", required=False, min_value=0, max_value=MAX_BACKFILL_DAYS,
        help_text="Empty: from now on. N: also the executions of the last N days.",
    )

    connection = forms.ModelChoiceField(
        queryset=Connection.objects.all(), required=False, to_field_name="name", empty_label="default",
        label="Plannr connection", help_text="Which Plannr account the monitor discovers executions in.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if Connection.objects.count() < 2:
            del self.fields["connection"]  # one connection: nothing to choose
        self.fields["clients_seen"].choices = [
            (uuid, f"{name or '(no name)'} · {uuid}") for uuid, name in Execution.objects.clients_seen(CLIENTS_OFFERED)
        ]
        self.blueprints_seen = Monitor.objects.blueprints_known()

    def clean_blueprint_uuid(self):
        text = self.cleaned_data["blueprint_uuid"].strip()
        found = parse_uuid(text) if text else None
        return str(found) if found else text  # not a UUID: the service says so

    def spec(self):
        data = self.cleaned_data
        return MonitorSpec(
            scope=data["scope"],
            name=data["name"],
            blueprint_uuid=data["blueprint_uuid"].strip(),
            client_uuids=_items(data["client_uuids"]) + list(data["clients_seen"]),
            name_contains=data["name_contains"],
            triggered_by=_items(data["triggered_by"].replace(",", " ")),
            backfill_days=data.get("backfill_days"),
            connection=data.get("connection"),
        )

    @classmethod
    def initial_for(cls, monitor):
        return {
            "name": monitor.name,
            "scope": monitor.scope,
            "blueprint_uuid": str(monitor.blueprint_uuid or ""),
            "client_uuids": "\n".join(monitor.client_uuids),
            "name_contains": monitor.name_contains,
            "triggered_by": ", ".join(monitor.triggered_by),
            "backfill_days": monitor.backfill_days,
            "connection": monitor.connection.name,
        }


class PauseForm(forms.Form):
    until = forms.DateTimeField(required=False, label="Paused until")

    def clean_until(self):
        until = self.cleaned_data["until"]
        if not errors.offset_in_range(until):
            raise forms.ValidationError(f"Paused until: {errors.OFFSET_MESSAGE}.")
        return until
