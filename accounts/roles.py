"""The three roles: Django groups holding accounts.Access permissions.

- Viewer: sees monitors, incidents and executions; has their own watchlist.
- Operator: a Viewer who also triages incidents and manages their own channels.
- Admin: an Operator who also manages monitors, organisation channels and users,
  and reads the audit log. Admins are staff, so the admin site lets them in.

Every new user is a Viewer; a new superuser is an Admin. `assign_role` is the one
place a role changes (the admin site's user form goes through it too).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

VIEWER, OPERATOR, ADMIN = "Viewer", "Operator", "Admin"
ROLES = (VIEWER, OPERATOR, ADMIN)

_VIEWER_PERMS = ["accounts.view_monitoring", "accounts.manage_own_watchlist"]
_OPERATOR_PERMS = _VIEWER_PERMS + [
    "accounts.triage_incidents", "accounts.manage_own_channels", "accounts.view_personal_data",
]
_ADMIN_PERMS = _OPERATOR_PERMS + [
    "accounts.manage_monitors",
    "accounts.manage_org_channels",
    "accounts.manage_users",
    "accounts.view_audit_log",
    # What the admin site needs to manage users and see the roles.
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    # The executions' admin list, where "erase these clients' data" is (privacy/admin.py).
    "executions.view_execution",
]
# Kept in step with migrations/0002_roles.py, which creates the groups from a copy.
PERMISSIONS = {VIEWER: _VIEWER_PERMS, OPERATOR: _OPERATOR_PERMS, ADMIN: _ADMIN_PERMS}


def role_of(user):
    """The user's highest role, or None."""
    names = {g.name for g in user.groups.all()}
    for role in reversed(ROLES):
        if role in names:
            return role
    return None


def triagers():
    """Active users who may triage incidents (Operators, Admins, superusers): whom an incident is assigned to."""
    return (
        get_user_model().objects.filter(is_active=True)
        .filter(Q(groups__name__in=(OPERATOR, ADMIN)) | Q(is_superuser=True))
        .distinct().order_by("username")
    )


def default_role(user):
    return ADMIN if user.is_superuser else VIEWER


def assign_role(user, role, *, actor=None):
    """Make `role` (or None: no role, no access) the user's only role; audited."""
    from audit import record

    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    with transaction.atomic():
        before = role_of(user)
        others = user.groups.filter(name__in=ROLES)
        if role is not None:
            others = others.exclude(name=role)
        user.groups.remove(*others)
        if role is not None:
            user.groups.add(Group.objects.get(name=role))
        sync_staff(user, role)
        if before != role:
            record("role.change", actor=actor, target=f"user:{user.get_username()}",
                   before={"role": before}, after={"role": role})


def sync_staff(user, role):
    """Admins use the admin site; nobody else needs it (superusers keep it)."""
    staff = role == ADMIN or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def ensure_roles(**kwargs):
    """Create any missing role group or permission (post_migrate; the data migration made them
    first, this puts them back after a database flush, as transactional tests do)."""
    from django.contrib.auth.models import Permission

    for name, perms in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = set()
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.update(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                .values_list("pk", flat=True)
            )
        missing = wanted - set(group.permissions.values_list("pk", flat=True))
        if missing:
            group.permissions.add(*missing)
