"""The learned suggestion and the run × step matrix from executions the Plannr simulator ran:
its rows reach the database over real HTTP by discovery (`manage.py discover`) and polling
(`manage.py poll`), as in production; nothing here writes an execution or a step itself.

The simulator's second account is connected as a second Plannr connection running the same
blueprint on another schedule: each connection's suggestion is learned from its own history.
"""

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from connections.defaults import ensure_default
from executions.models import Execution, Step
from expectations import evaluation, suggestions
from expectations.models import Expectation, State
from simulator import stories
from tests.alerts.test_end_to_end import poll
from tests.builders import make_connection
from tests.expectations.test_blueprint_page import cells
from tests.fixtures.simulator import SECOND_TOKEN
from tests.monitors.builders import blueprint as blueprint_monitor

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REVIEW = stories.BLUEPRINTS_BY_NAME["Annual review reminder"]
LONDON = ZoneInfo("Europe/London")
HIDDEN_INFO = '"[{errors : "the review template has no adviser" }]"'


def discover():
    call_command("discover", stdout=StringIO())


def history(world, *, weekdays, hours, per_hour, days=28):
    """Past executions of the review blueprint in a simulated account: `per_hour` in each of
    `hours` (London) on each of `weekdays` of the last `days` days (today left out)."""
    today = timezone.now().astimezone(LONDON).date()
    made = 0
    for back in range(1, days + 1):
        date = today - timedelta(days=back)
        if date.weekday() not in weekdays:
            continue
        for hour in hours:
            for i in range(per_hour):
                local = timezone.datetime(date.year, date.month, date.day, hour, 5 + i * 10, tzinfo=LONDON)
                world.create_execution(name=REVIEW.name, status="completed", created_at=local.isoformat(),
                                       steps=[{"name": REVIEW.steps[0].name, "status": "completed"}])
                made += 1
    return made


@pytest.fixture
def second(simulator):
    """The simulator's second account as a second connection (same blueprints, its own executions)."""
    return make_connection("Second firm", base_url=simulator.url, token=SECOND_TOKEN,
                           account_uuid=simulator.second_user.account_uuid)


def test_each_connection_learns_its_own_suggestion_and_an_admin_accepts_it(
    simulator, second, admin, owner, client
):
    office = history(simulator.world, weekdays=range(5), hours=range(9, 17), per_hour=2)
    evening = history(simulator.second_user.world, weekdays=range(7), hours=(19, 20), per_hour=4)
    blueprint_monitor(admin, REVIEW.uuid, backfill_days=28)
    blueprint_monitor(admin, REVIEW.uuid, backfill_days=28, connection=second)
    discover()
    default = ensure_default()
    assert Execution.objects.filter(connection=default, name=REVIEW.name).count() == office
    assert Execution.objects.filter(connection=second, name=REVIEW.name).count() == evening

    client.force_login(admin)
    page_url = reverse("expectations:blueprint", args=[default.pk, REVIEW.name])
    page = client.post(reverse("expectations:suggest", args=[default.pk, REVIEW.name]), follow=True)
    assert page.redirect_chain[-1][0] == page_url
    html = page.content.decode()
    assert "Suggested from history" in html and "at least 1 per hour, mon-fri 09:00-17:00 Europe/London" in html
    mine = Expectation.objects.suggestions().get(connection=default)
    assert "usually 2 an hour on mon-fri 09:00-17:00" in mine.reason

    client.post(reverse("expectations:suggest", args=[second.pk, REVIEW.name]))
    theirs = Expectation.objects.suggestions().get(connection=second)
    assert (theirs.at_least, theirs.hours) == (2, "mon-sun 19:00-21:00")
    assert "at least 2 per hour, mon-sun 19:00-21:00" not in client.get(page_url).content.decode()
    assert evaluation.evaluate() == []  # nothing is checked until accepted

    page = client.post(reverse("expectations:accept", args=[mine.pk]), {"hours": "weekdays"}, follow=True)
    assert "Business hours &#x27;weekdays&#x27; not understood" in page.content.decode()
    client.force_login(owner)  # a Viewer
    assert client.post(reverse("expectations:accept", args=[mine.pk])).status_code == 403
    mine.refresh_from_db()
    assert mine.suggested and mine.hours == "mon-fri 09:00-17:00"
    client.force_login(admin)
    response = client.post(reverse("expectations:accept", args=[mine.pk]),
                           {"at_least": "3", "within": "60", "hours": "mon-fri 09:00-17:00"})
    assert response["Location"] == page_url
    mine.refresh_from_db()
    assert not mine.suggested and mine.at_least == 3 and mine.created_by == admin
    [verdict] = evaluation.evaluate()
    assert verdict.expectation.pk == mine.pk and verdict.state in (State.OK, State.BREACHED, State.QUIET)
    assert Expectation.objects.suggestions().get() == theirs  # the other connection's is untouched


def test_thin_history_in_this_connection_gives_no_suggestion_whatever_another_ran(simulator, second, admin, client):
    history(simulator.second_user.world, weekdays=range(7), hours=(19, 20), per_hour=4)
    history(simulator.world, weekdays=(0,), hours=(9,), per_hour=1)  # four executions
    blueprint_monitor(admin, REVIEW.uuid, backfill_days=28)
    blueprint_monitor(admin, REVIEW.uuid, backfill_days=28, connection=second)
    discover()
    default = ensure_default()
    client.force_login(admin)
    html = client.post(reverse("expectations:suggest", args=[default.pk, REVIEW.name]), follow=True).content.decode()
    assert "Not enough history to learn from: 4 executions in the last 28 days" in html
    with pytest.raises(suggestions.NoSuggestion):
        suggestions.suggest(default, REVIEW.uuid, REVIEW.name)
    assert suggestions.suggest(second, REVIEW.uuid, REVIEW.name).connection == second


def test_the_matrix_shows_each_steps_outcome_in_the_runs_the_simulator_ran(simulator, owner, client):
    email, wait, sms = (s.name for s in REVIEW.steps[:3])
    now = timezone.now()
    runs = [
        [{"name": email, "status": "completed"}, {"name": wait, "status": "completed"}],
        [{"name": email, "status": "completed"}, {"name": wait, "status": "failed"}],
        [{"name": email, "status": "completed", "info": HIDDEN_INFO}, {"name": wait, "status": "completed"},
         {"name": sms, "status": "completed"}],
        [{"name": email, "status": "completed"}],
    ]
    for minutes_ago, steps in zip((40, 30, 20, 10), runs):
        simulator.create_execution(name=REVIEW.name, steps=steps, status="in_progress",
                                   created_at=(now - timedelta(minutes=minutes_ago)).isoformat())
    blueprint_monitor(owner, REVIEW.uuid, backfill_days=1)
    discover()
    poll()
    assert Step.objects.filter(execution__name=REVIEW.name).count() == 8
    client.force_login(owner)
    html = client.get(reverse("expectations:blueprint_by_name", args=[REVIEW.name]), follow=True).content.decode()
    assert cells(html) == {
        email: ["completed", "completed", "hidden", "completed"],
        wait: ["completed", "failed", "completed", "none"],
        sms: ["none", "none", "completed", "none"],
    }
    assert f'<span class="visually-hidden">{wait}: failed</span>' in html
    assert f'<span class="visually-hidden">{sms}: not run</span>' in html
