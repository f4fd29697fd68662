import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from executions.models import Execution, FailureKind, PollState, Watch
from tests.builders import add_snapshot, add_step, watch
from tests.dashboard.helpers import HTMX, queued_tasks, text_of

pytestmark = pytest.mark.django_db

DOC_INFO = '"[{errors : "the account_uuid field is required" }]"'


def url(name, execution):
    return reverse(f"executions:{name}", kwargs={"uuid": execution.uuid})


def known_of(response):
    match = re.search(r'"known": "([0-9a-f]+)"', response.content.decode())
    return match.group(1) if match else None


@pytest.fixture
def story(owner):
    """An execution with a clean step, a hidden failure, a failed step and a next step."""
    t0 = timezone.now() - timedelta(hours=1)
    w = watch(
        owner,
        label="welcome batch",
        name="Send client welcome pack to newly created client",
        status="failed",
        triggered_by="client.created",
        account_name="Jane Client",
        remote_created_at=t0,
        remote_updated_at=t0 + timedelta(minutes=5),
        steps_count=4,
        steps_done=3,
        is_failing=True,
        is_finished=True,
        failure_message="Send email: mailbox unavailable",
        next_step={"uuid": "x", "name": "Notify adviser", "status": "pending"},
        last_poll_error="",
    )
    e = w.execution
    add_step(e, "Create task", position=0, executed_at=t0)
    add_step(e, "Send SMS", "completed", position=1, info=DOC_INFO,
             messages=["the account_uuid field is required"], failure_kind=FailureKind.HIDDEN,
             executed_at=t0 + timedelta(minutes=2))
    add_step(e, "Send email", "failed", position=2, info='{"error": "mailbox unavailable"}',
             messages=["mailbox unavailable"], failure_kind=FailureKind.FAILED,
             executed_at=t0 + timedelta(minutes=2, seconds=30))
    add_snapshot(e, [{"kind": "status", "from": "", "to": "in_progress"},
                     {"kind": "step_added", "step": "Create task", "status": "completed"}],
                 fetched_at=t0 + timedelta(minutes=1))
    add_snapshot(e, [{"kind": "status", "from": "in_progress", "to": "failed"},
                     {"kind": "step_status", "step": "Send email", "from": "pending", "to": "failed"}],
                 fetched_at=t0 + timedelta(minutes=3))
    return w


def test_header_shows_the_execution_facts_and_a_copyable_uuid(owner_client, story):
    e = story.execution
    response = owner_client.get(url("detail", e))
    html, text = response.content.decode(), text_of(response)
    assert response.status_code == 200
    assert '<h1 class="exec-title"><bdi>Send client welcome pack to newly created client</bdi></h1>' in html
    assert 'id="execution-status" data-status="failed"><bdi>failed</bdi></span>' in html
    assert "Triggered by client.created" in text and "Client Jane Client" in text
    created = timezone.localtime(e.remote_created_at).strftime("%d %b %Y, %H:%M:%S")
    updated = timezone.localtime(e.remote_updated_at).strftime("%d %b %Y, %H:%M:%S")
    assert f"Created {created}" in text and f"Updated {updated}" in text
    assert f'<code id="execution-uuid">{e.uuid}</code>' in html
    assert 'data-copy-target="#execution-uuid"' in html
    assert "Label welcome batch" in text


def test_timeline_lists_steps_in_order_with_times_and_gaps(owner_client, story):
    response = owner_client.get(url("detail", story.execution))
    html = response.content.decode()
    kinds = re.findall(r'class="step step-(\w+)"', html)
    names = re.findall(r'<div class="step-title">\s*<strong><bdi>([^<]+)</bdi></strong>', html)
    assert names == ["Create task", "Send SMS", "Send email"]
    assert kinds == ["done", "hidden", "failed"]
    assert re.findall(r'<span class="step-icon" aria-hidden="true">(.)</span>', html) == ["✓", "⚠", "✗"]
    text = text_of(response)
    assert "2 min after the previous step" in text
    assert "30 s after the previous step" in text
    assert "Next step: Notify adviser" in text


def test_a_completed_step_reporting_an_error_is_shown_as_a_failure_and_says_why(owner_client, story):
    response = owner_client.get(url("detail", story.execution))
    step = section(response, r'<li class="step step-hidden".*?</li>\s*</ul>')
    assert "badge badge-done\"><bdi>completed</bdi></span>" in step
    assert 'badge badge-failed">failure</span>' in step
    why = "Shown as a failure: Plannr marked this step “completed”, but its info reports an error."
    assert why in text_of_html(step)
    assert "<li><bdi>the account_uuid field is required</bdi></li>" in step


def test_info_is_shown_parsed_with_the_raw_text_one_click_away(owner_client, story):
    html = owner_client.get(url("detail", story.execution)).content.decode()
    assert "<li><bdi>mailbox unavailable</bdi></li>" in html
    raw = '&quot;[{errors : &quot;the account_uuid field is required&quot; }]&quot;'
    assert f'<details class="raw-info"><summary>Raw info</summary><pre><bdi>{raw}</bdi></pre></details>' in html


def test_failed_step_message_and_latest_failure_are_shown(owner_client, story):
    text = text_of(owner_client.get(url("detail", story.execution)))
    assert "Latest failure: Send email: mailbox unavailable" in text
    assert "Plannr marked this step “failed”." in text


def test_poll_health_shows_last_and_next_poll_and_the_last_error(owner_client, owner):
    w = watch(owner, poll_state=PollState.SERVER_ERROR, last_poll_error="Plannr answered 503 on /api/v1/...",
              consecutive_errors=3)
    text = text_of(owner_client.get(url("detail", w.execution)))
    assert "State ⚠ Plannr server error" in text
    assert re.search(r"Last polled \d+ s ago", text)
    assert re.search(r"Next poll in \d+ s", text)
    assert "Last error Plannr answered 503 on /api/v1/... (3 in a row)" in text


def test_history_says_when_each_change_was_seen_and_what_changed(owner_client, story):
    response = owner_client.get(url("detail", story.execution))
    history = text_of_html(section(response, r'<ol class="history-list".*?</ol>'))
    assert history.index("Status in progress → failed") < history.index("First seen: in progress")
    assert "Step Send email: pending → failed" in history
    assert "Step added: Create task (completed)" in history


def test_a_running_execution_keeps_refreshing(owner_client, owner):
    w = watch(owner)
    html = owner_client.get(url("detail", w.execution)).content.decode()
    assert 'id="execution-poller"' in html and 'hx-trigger="refresh"' in html
    assert "no longer refreshes" not in html


def test_refreshing_stops_once_finished_and_confirmed(owner_client, story):
    Execution.objects.filter(pk=story.execution_id).update(final_confirmed=True, next_poll_at=None)
    html = owner_client.get(url("detail", story.execution)).content.decode()
    assert 'id="execution-poller"' not in html
    assert "Finished and confirmed: this page no longer refreshes." in text_of_html(html)
    assert "none: finished and confirmed" in text_of_html(html)


def test_the_live_partial_answers_no_content_when_unchanged(owner_client, story):
    e = story.execution
    known = known_of(owner_client.get(url("detail", e)))
    unchanged = owner_client.get(url("live", e), {"known": known}, headers=HTMX)
    assert unchanged.status_code == 204

    Execution.objects.filter(pk=e.pk).update(last_polled_at=timezone.now())
    polled = owner_client.get(url("live", e), {"known": known}, headers=HTMX)
    assert polled.status_code == 200 and known_of(polled) != known

    add_step(e, "Notify adviser", "completed", position=3)
    Execution.objects.filter(pk=e.pk).update(version=e.version + 1)
    changed = owner_client.get(url("live", e), {"known": known_of(polled)}, headers=HTMX)
    assert changed.status_code == 200
    assert "Notify adviser" in section(changed, r'<ol class="timeline".*?</ol>')


def test_poll_now_enqueues_a_poll_and_refreshes_until_it_lands(owner_client, story, redis_client):
    e = story.execution
    Execution.objects.filter(pk=e.pk).update(final_confirmed=True, next_poll_at=None)

    response = owner_client.post(url("poll", e), headers=HTMX)

    assert response.status_code == 200
    assert queued_tasks(redis_client) == [("executions.tasks.poll_now", [[e.pk]])]
    html = response.content.decode()
    assert "Poll requested" in text_of_html(html)
    # Finished and confirmed, but the page refreshes until the requested poll is seen.
    assert 'id="execution-poller"' in html
    awaiting = re.search(r'"awaiting": "([0-9.]+)"', html).group(1)
    refresh = {"known": known_of(response), "awaiting": awaiting}
    waiting = owner_client.get(url("live", e), refresh, headers=HTMX)
    assert waiting.status_code == 204

    Execution.objects.filter(pk=e.pk).update(last_polled_at=timezone.now() + timedelta(seconds=1))
    landed = owner_client.get(url("live", e), refresh, headers=HTMX)
    assert landed.status_code == 200
    assert 'id="execution-poller"' not in landed.content.decode()


def test_poll_now_with_the_queue_down_says_so(owner_client, owner, settings):
    from dashboard.celery import app

    def use_broker(broker_url):
        # The app caches its connection and producer pools; drop them so the URL counts.
        app.conf.broker_url = broker_url
        app._pool = None
        app.amqp._producer_pool = None

    w = watch(owner)
    original = app.conf.broker_url
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        response = owner_client.post(url("poll", w.execution), headers=HTMX)
    finally:
        use_broker(original)
    assert response.status_code == 200
    assert "The poll could not be queued: the task queue is unreachable." in text_of(response)


def test_poll_now_without_htmx_redirects_back_with_a_message(owner_client, owner, redis_client):
    w = watch(owner)
    response = owner_client.post(url("poll", w.execution), follow=True)
    assert response.redirect_chain == [(url("detail", w.execution), 302)]
    assert "Poll requested" in text_of(response)


def test_editing_the_label(owner_client, story):
    response = owner_client.post(url("label", story.execution), {"label": "  renamed  "}, headers=HTMX)
    html = response.content.decode()
    assert "Label saved." in html
    assert '<span id="watch-label" hx-swap-oob="true">renamed</span>' in html
    assert Watch.objects.get(pk=story.pk).label == "renamed"


def test_a_too_long_label_is_refused_with_a_message(owner_client, story):
    response = owner_client.post(url("label", story.execution), {"label": "x" * 201}, headers=HTMX)
    assert "at most 200 characters" in text_of(response)
    assert Watch.objects.get(pk=story.pk).label == "welcome batch"


def test_editing_the_label_without_htmx(owner_client, story):
    response = owner_client.post(url("label", story.execution), {"label": ""}, follow=True)
    assert "Label saved." in text_of(response)
    assert Watch.objects.get(pk=story.pk).label == ""


def test_unwatch_removes_the_watch_and_goes_back_to_the_watchlist(owner_client, story):
    e = story.execution
    response = owner_client.post(url("unwatch", e), headers=HTMX)
    assert response["HX-Redirect"] == reverse("executions:watchlist")
    assert not Watch.objects.filter(pk=story.pk).exists()
    # Nobody watches it any more, so it is no longer polled.
    assert Execution.objects.get(pk=e.pk).next_poll_at is None
    watchlist = owner_client.get(reverse("executions:watchlist"))
    assert "Stopped watching Send client welcome pack" in text_of(watchlist)
    # Its page still shows what was last known (see test_unwatched_page.py); nothing live.
    assert owner_client.get(url("live", e), headers=HTMX).status_code == 404


def section(response, pattern):
    return re.search(pattern, response.content.decode(), re.S).group(0)


def text_of_html(html):
    html = re.sub(r"</?bdi>", "", html)  # inline: no space where it was
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_live_region_is_put_into_the_page_once_whatever_the_names_say(owner_client, owner):
    # The region is spliced into the rendered page at a marker (views._page_with_region):
    # Plannr text and labels that spell the marker are escaped, so they never match it.
    marker = "<!-- the live region -->"
    w = watch(owner, label=marker, name=marker)
    add_step(w.execution, marker, position=0)
    for _ in range(2):  # rendered, then from the cache
        html = owner_client.get(url("detail", w.execution)).content.decode()
        assert marker not in html
        assert html.count('<div id="execution-live"') == 1 and html.count('id="timeline"') == 1
        live = html[html.index('<div id="execution-live"'):]
        assert live.index('id="timeline"') < live.index("</main>")
        assert "&lt;!-- the live region --&gt;" in live.split('id="timeline"', 1)[1]
