import functools
import os
import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from .models import Profile


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, posted as `username` (the site's form always used that name)."""

    def add_prefix(self, field_name):
        return super().add_prefix("username" if field_name == "login" else field_name)


# The areas of the IANA zone names people pick from, in the order the list shows them.
ZONE_AREAS = (
    "Europe", "America", "Africa", "Asia", "Atlantic", "Australia", "Indian", "Pacific", "Antarctica", "Arctic",
)


@functools.cache
def canonical_zones():
    """The IANA database's canonical zones (its zone.tab: one per country and region, no
    aliases such as "GB" or "US/Eastern"), plus UTC, that this system can load."""
    names = set()
    for directory in zoneinfo.TZPATH:
        try:
            with open(os.path.join(directory, "zone.tab"), encoding="utf-8") as tab:
                rows = [line.split("\t") for line in tab if line.strip() and not line.startswith("#")]
                names = {row[2].strip() for row in rows}
        except OSError:
            continue
        break
    available = zoneinfo.available_timezones()
    if not names:  # no zone.tab here (the tzdata package alone): Area/Place names (no "GB", "US/...")
        names = {n for n in available if n.split("/", 1)[0] in ZONE_AREAS}
    return frozenset(n for n in names if n in available) | {"UTC"}


def zone_choices(current=""):
    """Grouped by area, sorted within each: [(group, [(name, label)])], UTC first. A saved
    zone that is not canonical (an alias chosen before) stays offered, so saving keeps it."""
    names = set(canonical_zones()) | ({current} if current in zoneinfo.available_timezones() else set())
    groups = {}
    for name in names:
        area = name.split("/", 1)[0] if "/" in name else "Other"
        groups.setdefault(area if area in ZONE_AREAS else "Other", []).append(name)
    order = [a for a in ZONE_AREAS if a in groups] + (["Other"] if "Other" in groups else [])
    return [
        (area, [(n, n.split("/", 1)[-1].replace("_", " ").replace("/", " / ") if area != "Other" else n)
                for n in sorted(groups[area])])
        for area in order
    ]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label="Time zone")

    class Meta:
        model = Profile
        fields = ["time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices(self.instance.time_zone if self.instance else "")
