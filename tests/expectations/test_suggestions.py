"""Learned suggestions: usual volume per weekday and hour, never alerted on until an Admin accepts."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.urls import reverse

from connections.defaults import ensure_default
from executions.models import Execution
from expectations import evaluation, suggestions
from expectations.models import Expectation, State
from tests.expectations.builders import BLUEPRINT, BLUEPRINT_UUID, blueprint_monitor

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 12:00 UTC (= London).
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=dt_timezone.utc)


def office_history(per_hour=4):
    """Four weeks of weekdays, 09:00-17:00 London, `per_hour` executions each hour."""
    rows = []
    for day in range(1, 29):
        date = NOW - timedelta(days=day)
        if date.weekday() >= 5:
            continue
        for hour in range(9, 17):
            for i in range(per_hour):
                created = date.replace(hour=hour, minute=5 + i * 10)
                rows.append(Execution(uuid=f"00000000-0000-4000-8000-{len(rows):012d}", name=BLUEPRINT,
                                      remote_created_at=created, status="completed", is_finished=True))
    Execution.objects.bulk_create(rows)


def test_history_gives_business_hours_and_a_margin_and_nothing_is_checked_until_accepted(admin, client):
    blueprint_monitor()
    office_history()
    with time_machine.travel(NOW, tick=False):
        suggestion = suggestions.suggest(ensure_default(), BLUEPRINT_UUID, BLUEPRINT)
        assert (suggestion.at_least, suggestion.within_minutes, suggestion.hours) == (2, 60, "mon-fri 09:00-17:00")
        assert suggestion.suggested and "usually 4 an hour" in suggestion.reason
        assert evaluation.evaluate() == []
        client.force_login(admin)
        page = client.get(reverse("expectations:blueprint", args=[ensure_default().pk, BLUEPRINT])).content.decode()
        assert "Suggested from history" in page and "at least 2 per hour, mon-fri 09:00-17:00" in page
        response = client.post(reverse("expectations:accept", args=[suggestion.pk]),
                               {"at_least": "3", "within": "60", "hours": "mon-fri 09:00-17:00"})
        assert response.status_code == 302
        suggestion.refresh_from_db()
        assert not suggestion.suggested and suggestion.at_least == 3
        [verdict] = evaluation.evaluate()
        assert verdict.expectation.pk == suggestion.pk and verdict.state == State.BREACHED  # nothing today


def test_thin_history_gives_no_suggestion_and_says_why():
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(suggestions.NoSuggestion, match="Not enough history to learn from: 0 executions"):
            suggestions.suggest(ensure_default(), BLUEPRINT_UUID, BLUEPRINT)
    assert not Expectation.objects.exists()


def test_a_viewer_cannot_accept(owner_client):
    blueprint_monitor()
    office_history()
    with time_machine.travel(NOW, tick=False):
        suggestion = suggestions.suggest(ensure_default(), BLUEPRINT_UUID, BLUEPRINT)
    assert owner_client.post(reverse("expectations:accept", args=[suggestion.pk])).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.suggested


def test_the_page_says_why_there_is_no_suggestion_and_refuses_bad_hours(admin, client):
    blueprint_monitor()
    client.force_login(admin)
    page = client.post(reverse("expectations:suggest", args=[ensure_default().pk, BLUEPRINT]), follow=True).content.decode()
    assert "Not enough history to learn from: 0 executions in the last 28 days" in page
    office_history()
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("expectations:suggest", args=[ensure_default().pk, BLUEPRINT]))
    suggestion = Expectation.objects.suggestions().get()
    page = client.post(reverse("expectations:accept", args=[suggestion.pk]), {"hours": "weekdays"},
                       follow=True).content.decode()
    assert "Business hours &#x27;weekdays&#x27; not understood" in page
    suggestion.refresh_from_db()
    assert suggestion.suggested and suggestion.hours == "mon-fri 09:00-17:00"
