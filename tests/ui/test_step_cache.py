"""Each step of an execution page is rendered once and then read from the step cache
(ui/steps.py), and any change to what a step shows renders it again."""

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from executions.models import Execution, FailureKind, Step
from ui.steps import rendered_steps
from tests.builders import add_step, watch
from tests.dashboard.helpers import text_of

pytestmark = pytest.mark.django_db

NAMES = ["Create task", "Send SMS", "Send email"]


@pytest.fixture
def execution(owner):
    t0 = timezone.now() - timedelta(hours=3, minutes=5)
    e = watch(owner, status="failed", is_failing=True).execution
    add_step(e, "Create task", position=0, executed_at=t0)
    add_step(e, "Send SMS", position=1, executed_at=t0 + timedelta(minutes=2))
    add_step(e, "Send email", "failed", position=2, info='{"error": "mailbox unavailable"}',
             messages=["mailbox unavailable"], failure_kind=FailureKind.FAILED,
             executed_at=t0 + timedelta(minutes=2, seconds=30))
    return e


def rendered(log):
    """The names of the steps rendered (written to the cache) since the log was last read."""
    names = [re.search(r"<strong><bdi>([^<]+)</bdi></strong>", html).group(1)
             for write in log.writes for key, html in write.items() if key.startswith("step:")]
    log.writes.clear()
    return names


def page(client, execution):
    """The execution page's timeline, after a change to the execution (a new live region)."""
    Execution.objects.filter(pk=execution.pk).update(version=F("version") + 1)
    response = client.get(reverse("executions:detail", kwargs={"uuid": execution.uuid}))
    assert response.status_code == 200
    return re.search(r'<ol class="timeline".*?</ol>', response.content.decode(), re.S).group(0)


def test_unchanged_steps_come_from_the_cache_in_one_read(owner_client, execution, fragments):
    first = page(owner_client, execution)
    assert rendered(fragments) == NAMES
    assert [len(keys) for keys in fragments.reads] == [3]

    again = page(owner_client, execution)
    assert rendered(fragments) == []  # every step from the cache...
    assert again == first  # ...exactly as rendered (escaped, isolated) the first time
    assert [len(keys) for keys in fragments.reads] == [3, 3]
    assert fragments.reads[0] == fragments.reads[1]


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"name": "Send email again"}, "<bdi>Send email again</bdi>"),
        ({"status": "bounced"}, 'Plannr marked this step “<bdi>bounced</bdi>”.'),
        ({"messages": ["mailbox full"]}, "<li><bdi>mailbox full</bdi></li>"),
        ({"info": '{"error": "mailbox full"}'}, "{&quot;error&quot;: &quot;mailbox full&quot;}"),
        ({"failure_kind": FailureKind.HIDDEN}, "Shown as a failure: Plannr marked this step"),
    ],
    ids=["name", "status", "messages", "info", "failure-kind"],
)
def test_a_changed_step_is_rendered_again_and_only_it(owner_client, execution, fragments, change, shown):
    before = page(owner_client, execution)
    assert rendered(fragments) == NAMES
    assert shown not in before

    Step.objects.filter(execution=execution, name="Send email").update(**change)
    after = page(owner_client, execution)
    assert shown in after
    assert rendered(fragments) == [change.get("name", "Send email")]


def test_a_step_whose_previous_step_moved_is_rendered_again(owner_client, execution, fragments):
    assert "30 s after the previous step" in page(owner_client, execution)
    rendered(fragments)

    sms = Step.objects.get(execution=execution, name="Send SMS")
    Step.objects.filter(pk=sms.pk).update(executed_at=sms.executed_at - timedelta(seconds=10))
    after = page(owner_client, execution)
    # Send email did not change, but the gap it shows did.
    assert "40 s after the previous step" in after and "30 s after" not in after
    assert rendered(fragments) == ["Send SMS", "Send email"]


def test_each_viewer_gets_the_steps_in_their_own_time_zone(owner_client, execution, fragments):
    assert "JST" not in page(owner_client, execution)
    rendered(fragments)

    owner_client.post(reverse("accounts:profile"), {"time_zone": "Asia/Tokyo"})
    after = page(owner_client, execution)
    assert after.count("JST") == 3 and "GMT" not in after and "BST" not in after
    assert rendered(fragments) == NAMES


def test_a_step_is_rendered_again_when_how_long_ago_it_ran_reads_differently(execution, fragments):
    # The step's time carries "3 h ago" in its tooltip: good for that hour, not after it.
    now = timezone.now()
    first = rendered_steps(execution, now=now)
    assert rendered(fragments) == NAMES
    assert first.count('title="3 h ago (') == 3

    assert rendered_steps(execution, now=now + timedelta(minutes=20)) == first
    assert rendered(fragments) == []

    later = rendered_steps(execution, now=now + timedelta(hours=1))
    assert later.count('title="4 h ago (') == 3 and "3 h ago" not in later
    assert rendered(fragments) == NAMES


def test_the_live_partial_uses_the_same_fragments(owner_client, execution, fragments):
    page(owner_client, execution)
    rendered(fragments)
    Execution.objects.filter(pk=execution.pk).update(version=F("version") + 1)
    url = reverse("executions:live", kwargs={"uuid": execution.uuid})
    live = owner_client.get(url, headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert [name for name in NAMES if name in text_of(live)] == NAMES
    assert rendered(fragments) == []
