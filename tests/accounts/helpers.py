"""Shared by the accounts tests: users in a role, and a digest of everything a request could change."""

import hashlib
import json

from django.contrib.auth import get_user_model
from django.core import serializers

from accounts import roles
from alerts.models import AlertPreference
from channels.models import Delivery
from audit.models import AuditEvent
from executions.models import Execution, Watch
from tests.fixtures.users import PASSWORD


def user_in_role(username, role):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com",
                                                password=PASSWORD)
    if role != roles.default_role(user):
        roles.assign_role(user, role)
    return user


def state_digest():
    """Changes whenever any row a page or action could write changes."""
    User = get_user_model()
    parts = []
    for model in (User, Watch, Execution, AlertPreference, Delivery, AuditEvent):
        rows = serializers.serialize("json", model.objects.order_by("pk"))
        parts.append(json.loads(rows))
    parts.append(sorted((u.pk, sorted(u.groups.values_list("name", flat=True))) for u in User.objects.all()))
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
