"""Channel actions, one function each, called by the pages and the `channel` command.

Each checks who may do it, so every door enforces the same rules.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

import audit
from accounts.rules import ADD_APPRISE_CHANNELS

from dashboard import crypto
from .forms import PERMISSION, validate_target
from .models import Channel, Kind, new_signing_secret


def create_channel(user, kind, name, target, organisation=False, operator=False):
    """Create a channel; returns (channel, signing_secret or "") - the secret is not shown again.

    `operator`: called from the command line, whose user has the server's rights.
    """
    if kind == Kind.APPRISE and not (operator or user.has_perm(ADD_APPRISE_CHANNELS)):
        raise PermissionDenied("Only admins may add Apprise channels.")
    if organisation and not (operator or user.has_perm(PERMISSION)):
        raise PermissionDenied("Only admins may add organisation channels.")
    target = validate_target(kind, target)
    channel = Channel(owner=None if organisation else user, created_by=user, kind=kind, name=name)
    channel.target = target
    secret = ""
    if kind == Kind.WEBHOOK:
        secret = new_signing_secret()
        channel.signing_secret = secret
    with transaction.atomic():
        channel.save()
        # Never the target or the secret: the name, kind and scope say what was made.
        audit.record("channel.create", actor=None if operator else user,
                     actor_name="manage.py channel" if operator else "", target=audit_target(channel),
                     after={"name": name, "kind": kind, "organisation": organisation})
    return channel, secret


def audit_target(channel):
    return f"channel:{channel.pk}"


def delete_channel(channel):
    with transaction.atomic():
        audit.record("channel.delete", target=audit_target(channel),
                     before={"name": channel.name, "kind": channel.kind, "organisation": channel.owner_id is None})
        channel.delete()


def attach_monitors(channel, monitors):
    """An organisation channel gets the incidents of executions these monitors find."""
    if not channel.is_organisation:
        raise PermissionDenied("Only organisation channels are attached to monitors.")
    with transaction.atomic():
        before = sorted(channel.monitors.values_list("pk", flat=True))
        channel.monitors.set(monitors)
        after = sorted(m.pk for m in monitors)
        if before != after:
            audit.record("channel.update", target=audit_target(channel), before={"monitors": before},
                         after={"monitors": after})


def confirm_arrival(channel, arrived, now=None):
    """Teams: the user says whether the test message showed up."""
    with transaction.atomic():
        was = channel.confirmed_at is not None
        Channel.objects.filter(pk=channel.pk).update(confirmed_at=(now or timezone.now()) if arrived else None)
        audit.record("channel.update", target=audit_target(channel), before={"confirmed": was},
                     after={"confirmed": arrived})
    channel.refresh_from_db(fields=["confirmed_at"])


def rotate_keys(batch=500):
    """Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS."""
    count = 0
    for channel in Channel.objects.only("pk", "target_encrypted", "signing_secret_encrypted").iterator(batch):
        fields = {"target_encrypted": crypto.rotate(channel.target_encrypted)}
        if channel.signing_secret_encrypted:
            fields["signing_secret_encrypted"] = crypto.rotate(channel.signing_secret_encrypted)
        Channel.objects.filter(pk=channel.pk).update(**fields)
        count += 1
    return count
