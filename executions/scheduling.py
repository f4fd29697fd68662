"""When each execution is polled next: the one place that decides it.

Running executions are polled every POLL_INTERVAL_SECONDS; finished ones once more
to confirm, then never; errors back off exponentially up to POLL_BACKOFF_MAX_SECONDS (an execution Plannr
does not know is given up after NOT_FOUND_GIVE_UP polls);
a 401 pauses the token for POLL_UNAUTHORIZED_RETRY_SECONDS; a 429 waits exactly as
long as Plannr asks.
"""

from datetime import timedelta

from django.conf import settings

from .failures import is_running_status
from .models import PollState


# The dispatcher's claim stamps "last polled" for a routine poll before it happens. A
# poll that lands later than this after its claim writes its own time instead, so
# what the pages show stays true to within this.
RESCHEDULE_TOLERANCE = timedelta(seconds=1)
# How long a finished batch's FinishedClaim is kept. Its claims end on their own after
# claim_seconds(); kept longer, every row it still marks reads as released, not as
# a batch that died (the executions_claimed gauge), until its next claim.
FINISHED_CLAIMS_KEPT = timedelta(minutes=10)


def stamped_by_claim(rescheduled_at, now):
    """Whether a routine poll at `now` may leave what its claim (at `rescheduled_at`) wrote."""
    return rescheduled_at is not None and now - rescheduled_at <= RESCHEDULE_TOLERANCE


def interval():
    return timedelta(seconds=settings.POLL_INTERVAL_SECONDS)


def next_routine_poll(now):
    """A running execution whose poll went fine."""
    return now + interval()


def after_success(*, status, poll_state, was_finished, changed, now):
    """(next_poll_at, final_confirmed) after a successful poll.

    Running: poll again after the interval. Finished: one more poll to confirm;
    when a second poll sees the same finished payload, polling stops.
    """
    if is_running_status(status) or changed or poll_state != PollState.OK or not was_finished:
        return next_routine_poll(now), False
    return None, True


def backoff_seconds(consecutive_errors):
    """Interval × 2^(errors-1), capped: 15 s, 30 s, 60 s ... up to the cap."""
    exponent = max(0, min(consecutive_errors - 1, 20))
    return min(settings.POLL_BACKOFF_MAX_SECONDS, settings.POLL_INTERVAL_SECONDS * 2**exponent)


def after_error(consecutive_errors, now, not_found=False):
    """When to try again after `consecutive_errors` failed polls in a row; None (stop) when
    the last said Plannr does not know the execution and NOT_FOUND_GIVE_UP polls have failed.
    The execution stays on the watchlist, "Not found in Plannr"; watching it again (or
    "Poll now") tries once more."""
    if not_found and consecutive_errors >= settings.NOT_FOUND_GIVE_UP:
        return None
    return now + timedelta(seconds=backoff_seconds(consecutive_errors))


def after_rate_limit(retry_after, now):
    # Not the execution's fault: wait exactly as long as Plannr asks, no backoff.
    return now + timedelta(seconds=max(1.0, retry_after))


def unauthorized_retry_at(now):
    return now + timedelta(seconds=settings.POLL_UNAUTHORIZED_RETRY_SECONDS)


def after_crash(now):
    """A batch that crashed on our side: retry at the normal pace."""
    return now + interval()


def claim_seconds():
    """How long a batch holds its executions before another dispatch may take them.

    About the longest one step of a batch can take (a request at its full timeouts,
    then ingest); the running task renews the claim as it goes. A batch whose worker
    died is polled again this soon, not after POLL_CLAIM_SECONDS, which is now the cap.
    """
    step = settings.PLANNR_CONNECT_TIMEOUT + settings.PLANNR_READ_TIMEOUT + settings.POLL_INTERVAL_SECONDS
    return min(settings.POLL_CLAIM_SECONDS, step)
