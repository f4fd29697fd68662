"""Row visibility is the accounts app's: one rule per model (accounts/visibility.py), asked the
same way everywhere, and no `is_staff` shortcut outside the Django admin site."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from accounts import roles, visibility
from executions.models import Execution, Watch
from incidents.listing import affected
from incidents.models import Incident, Occurrence
from tests.accounts.helpers import user_in_role
from tests.incidents.test_grouping import failing
from tests.monitors.test_pages import find, make_monitor

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
# Where `is_staff` may be named: the flag only decides entry to the Django admin site.
ADMIN_SITE = {
    "accounts/roles.py",  # sync_staff keeps the flag in step with the Admin role
    "templates/base.html",  # the "Admin site" link, shown to whom the admin site lets in
}


def test_every_visible_to_is_the_rule_of_accounts():
    """A model whose queryset has `visible_to` has its rule in visibility.VISIBILITY, and the
    method answers exactly what the accounts rule does."""
    viewer = user_in_role("viewer", roles.VIEWER)
    with_method = sorted(
        m._meta.label for m in apps.get_models() if hasattr(m._default_manager.all(), "visible_to")
    )
    assert with_method == sorted(visibility.VISIBILITY)
    for label in with_method:
        qs = apps.get_model(label).objects.all()
        assert str(qs.visible_to(viewer).query) == str(visibility.visible_to(qs, viewer).query), label


def test_is_staff_is_asked_only_for_the_admin_site():
    found = set()
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix not in (".py", ".html") or rel.startswith((".venv/", "tests/", "var/", "bench/")):
            continue
        if "/migrations/" in rel or "site-packages" in rel:
            continue
        if re.search(r"\bis_staff\b", path.read_text(errors="replace")):
            found.add(rel)
    assert found == ADMIN_SITE


def test_viewers_and_operators_see_what_they_watch_or_a_monitor_found_and_admins_every_incident():
    viewer, operator, admin = (user_in_role(r.lower(), r) for r in (roles.VIEWER, roles.OPERATOR, roles.ADMIN))
    watched = failing(step="Watched step")
    Watch.objects.create(user=viewer, execution=watched)
    Watch.objects.create(user=operator, execution=watched)
    found = failing(step="Found step", client="Ann")
    find(make_monitor(), found)
    nobodys = failing(step="Nobody's step", client="Bob")

    for user in (viewer, operator):
        assert set(Execution.objects.visible_to(user)) == {watched, found}
        assert set(Execution.objects.visible_to(user, row_by_row=True)) == {watched, found}
        assert set(Incident.objects.visible_to(user)) == set(
            Incident.objects.filter(occurrence_rows__execution__in=[watched, found])
        )
    # Admins see every incident and all of its executions; their watchlist is still their own.
    assert Incident.objects.visible_to(admin).count() == Incident.objects.count() == 3
    hidden = Incident.objects.get(occurrence_rows__execution=nobodys)
    assert [o.execution for o in affected(hidden, admin)] == [nobodys]
    assert not affected(hidden, viewer).exists()
    assert set(Execution.objects.visible_to(admin)) == {found}
    assert set(Occurrence.objects.visible_to(viewer).values_list("execution", flat=True)) == {watched.pk, found.pk}
    # What a monitor found is the organisation's: visible and kept polling without a watch.
    assert list(visibility.shared_executions()) == [found]
