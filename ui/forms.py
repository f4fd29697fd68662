from django import forms
from django.conf import settings

from connections.models import Connection
from executions.models import Watch
from executions.paste import count_lines, count_tokens, parse_paste

LABEL_MAX = Watch._meta.get_field("label").max_length
# Beyond WATCH_PASTE_LIMIT × this many words, a paste is refused without being parsed.
PASTE_WORDS_PER_UUID = 4


class WatchPasteForm(forms.Form):
    uuids = forms.CharField(
        label="Execution UUIDs",
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "One or more UUIDs or Plannr links, separated by newlines, commas or spaces",
                "spellcheck": "false",
                "autocomplete": "off",
            }
        ),
        error_messages={"required": "Paste at least one execution UUID."},
    )
    label = forms.CharField(
        label="Label (optional)",
        required=False,
        max_length=LABEL_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. onboarding batch"}),
    )

    connection = forms.ModelChoiceField(
        queryset=Connection.objects.all(), required=False, to_field_name="name", empty_label="default",
        label="Plannr connection",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if Connection.objects.count() < 2:
            del self.fields["connection"]  # one connection: nothing to choose

    def clean_uuids(self):
        text = self.cleaned_data["uuids"]
        limit = settings.WATCH_PASTE_LIMIT
        # A paste too big to be worth parsing is refused whole before parsing, and kept
        # in the box so that the user can split it rather than retype it.
        if count_tokens(text) > limit * PASTE_WORDS_PER_UUID:
            raise self._too_many(f"{count_lines(text):,} lines", limit)
        parsed = parse_paste(text)
        # Counted as the person sees their paste: the UUIDs in it (a line can also hold
        # words, "uuid  failed", that are no items of theirs), and its lines.
        if len(parsed.uuids) > limit:
            raise self._too_many(f"{len(parsed.uuids):,} UUIDs on {count_lines(text):,} lines", limit)
        if parsed.is_empty:
            raise forms.ValidationError("Paste at least one execution UUID.", code="required")
        return parsed

    @staticmethod
    def _too_many(held, limit):
        return forms.ValidationError(
            f"That paste holds {held}; at most {limit:,} can be added at once. Split it into smaller pastes.",
            code="too_many",
        )

    def clean_label(self):
        return self.cleaned_data["label"].strip()


class LabelForm(forms.ModelForm):
    class Meta:
        model = Watch
        fields = ["label"]
        widgets = {"label": forms.TextInput(attrs={"placeholder": "No label"})}

    def clean_label(self):
        return self.cleaned_data["label"].strip()
