"""The metric values that need the database, computed by a periodic task, never by a scrape.

Each source is one function returning metric families; `SOURCES` lists them.
A family is a plain dict so that it can be stored as JSON:
{"name", "type" ("gauge"), "help", "labels": [...], "samples": [[[label values], value], ...]}
"""

import time

from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from channels.models import Delivery, DeliveryState, Topic
from executions.health import poll_health
from executions.models import Execution, PollState
from incidents.models import Incident, Status
from monitors.models import Finding, Monitor

NAMESPACE = "plannr_monitor"
# Plannr's statuses are data: beyond this many distinct ones the rest are summed as "other",
# so that an odd status cannot blow up the number of series.
MAX_STATUS_LABELS = 30


def family(name, help_text, samples, labels=()):
    return {
        "name": f"{NAMESPACE}_{name}",
        "type": "gauge",
        "help": help_text,
        "labels": list(labels),
        "samples": [[list(values), float(value)] for values, value in samples],
    }


def poll_cycle(now):
    health = poll_health(now)
    last_poll = health.last_poll_at
    return [
        family(
            "poll_lag_seconds", "How far the most overdue execution is behind its poll time.", [((), health.lag)]
        ),
        family("executions_due", "Executions due for a poll and not yet handed to a batch.", [((), health.waiting)]),
        family("executions_in_flight", "Executions in a batch now (a live claim).", [((), health.in_flight)]),
        family(
            "executions_claimed",
            "Executions carrying an unfinished claim, live or expired; more than in flight means a batch died.",
            [((), health.claimed)],
        ),
        family(
            "last_poll_timestamp_seconds",
            "When any execution was last polled (Unix time).",
            [((), last_poll.timestamp() if last_poll else 0)],
        ),
    ]


def executions(now):
    by_status = sorted(
        Execution.objects.values("status").annotate(n=Count("id")).order_by().values_list("status", "n"),
        key=lambda row: -row[1],
    )
    kept = [((status or "not_polled",), n) for status, n in by_status[:MAX_STATUS_LABELS]]
    rest = sum(n for _, n in by_status[MAX_STATUS_LABELS:])
    if rest:
        kept.append((("other",), rest))
    poll_states = dict(
        Execution.objects.values("poll_state")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("poll_state", "n")
    )
    return [
        family("executions", "Executions by their Plannr status.", kept, ["status"]),
        family(
            "executions_failing",
            "Executions with a failed or hidden-failure step, or a failed status.",
            [((), Execution.objects.filter(is_failing=True).count())],
        ),
        family(
            "executions_by_poll_state",
            "Executions by the outcome of their last poll.",
            [((state,), poll_states.get(state, 0)) for state in PollState.values],
            ["poll_state"],
        ),
    ]


def alert_deliveries(now):
    # Incident alerts in the one outbox, labelled by the kind that sends them.
    counts = {
        (kind, state): n
        for kind, state, n in Delivery.objects.filter(topic=Topic.ALERT).values("kind", "state")
        .annotate(n=Count("id")).order_by().values_list("kind", "state", "n")
    }
    kinds = ["email", *sorted({kind for kind, _ in counts} - {"email"})]
    return [
        family(
            "alert_deliveries",
            "Alert deliveries by channel (email, or a channel kind) and state.",
            [((kind, state), counts.get((kind, state), 0)) for kind in kinds for state in DeliveryState.values],
            ["channel", "state"],
        ),
    ]


def rate_budget(now):
    """Requests our shared limiter counted in the current minute, against the configured limit."""
    from django.conf import settings

    from connections.defaults import ensure_default
    from plannr.ratelimit import get_rate_limiter

    used = get_rate_limiter().used(ensure_default().budget_key)
    limit = settings.PLANNR_RATE_LIMIT_PER_MINUTE
    return [
        family(
            "plannr_rate_budget_used",
            "Plannr requests made in the current minute (shared budget).",
            [((), used)],
        ),
        family(
            "plannr_rate_budget_limit",
            "Plannr requests allowed per minute (PLANNR_RATE_LIMIT_PER_MINUTE).",
            [((), limit)],
        ),
        family(
            "plannr_rate_budget_used_ratio",
            "The share of this minute's Plannr budget used.",
            [((), used / limit if limit else 0)],
        ),
    ]


def incidents(now):
    by_status = dict(
        Incident.objects.values("status").annotate(n=Count("id")).order_by().values_list("status", "n")
    )
    return [
        family(
            "incidents_open",
            "Incidents open now (not acknowledged, snoozed, resolved or ignored).",
            [((), by_status.get(Status.OPEN, 0))],
        ),
        family(
            "incidents",
            "Incidents by status.",
            [((status,), by_status.get(status, 0)) for status in Status.values],
            ["status"],
        ),
    ]


def discovery(now):
    """The monitors' sweeps, as the monitors app recorded them on each monitor."""
    active = Monitor.objects.active(now)
    sweeps = active.aggregate(
        lag=Max("lag_seconds"), oldest=Min("last_swept_at"), found=Sum("last_sweep_found")
    )
    oldest = sweeps["oldest"]
    return [
        family(
            "discovery_lag_seconds",
            "Plannr history the active monitors' last sweeps left unswept (the largest); 0 when caught up.",
            [((), sweeps["lag"] or 0)],
        ),
        family(
            "discovery_last_sweep_age_seconds",
            "How long ago the least recently swept active monitor was swept.",
            [((), (now - oldest).total_seconds() if oldest else 0)],
        ),
        family(
            "discovery_monitors_active",
            "Monitors that sweeps cover now (not paused).",
            [((), active.count())],
        ),
        family(
            "discovery_last_sweep_found",
            "Executions the active monitors' last sweeps found.",
            [((), sweeps["found"] or 0)],
        ),
        family(
            "discovery_executions_found",
            "Executions the monitors have found (kept findings).",
            [((), Finding.objects.count())],
        ),
    ]


def connections(now):
    """Per Plannr connection: up, last success, and what Plannr said is left of the budget.

    Named as issue 19 gives them (no namespace prefix): dashboards and alert rules use these names.
    """
    from connections.models import Connection
    from plannr.ratelimit import get_rate_limiter

    limiter = get_rate_limiter()
    rows = list(Connection.objects.all())

    def raw(name, help_text, samples):
        return {"name": name, "type": "gauge", "help": help_text, "labels": ["connection"],
                "samples": [[[c.name], float(value)] for c, value in samples]}

    remaining = []
    for c in rows:
        reported = limiter.reported_remaining(c.budget_key)
        value = reported if reported is not None else c.ratelimit_remaining
        if value is not None:
            remaining.append((c, value))
    return [
        raw("plannr_connection_up", "1 when the Plannr connection works, 0 when it is broken or paused.",
            [(c, 0 if c.broken_since or c.paused else 1) for c in rows]),
        raw("plannr_connection_last_success_timestamp_seconds",
            "When a request through the connection last succeeded (Unix time).",
            [(c, c.last_success.timestamp()) for c in rows if c.last_success]),
        raw("plannr_ratelimit_remaining", "Plannr's X-Ratelimit-Remaining for the connection's user.", remaining),
    ]


SOURCES = [poll_cycle, executions, alert_deliveries, rate_budget, incidents, discovery, connections]


def compute(now=None):
    now = now or timezone.now()
    started = time.monotonic()
    families = []
    for source in SOURCES:
        families.extend(source(now))
    return {"computed_at": now.timestamp(), "duration": time.monotonic() - started, "families": families}
