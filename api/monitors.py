"""/api/v1/monitors: the organisation's monitors, through the same services as the monitors pages.

Monitors belong to the organisation: reading them needs `accounts.view_monitoring`,
changing them `accounts.manage_monitors`, exactly as on the pages (accounts.rules.API_RULES,
applied by api/auth.py).
"""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from monitors import services
from monitors.listing import FINDINGS
from monitors.models import Finding, Monitor
from ui.params import Params
from ui.table import matching as table_matching

from .errors import AUTH_ERRORS, ApiError, ErrorOut, not_found
from .exports import CSV_RESPONSE, stream_csv
from .pagination import MAX_LIMIT, cursor_page, keyset, numbered_page, order_by, order_fields
from .schemas import BodyIn, ExecutionSummary, Time, text

router = Router(tags=["monitors"])

MONITOR_ORDER = order_fields(Monitor, ["name"], False)


def get_monitor(request, monitor_id):
    monitor = Monitor.objects.filter(pk=monitor_id).first()
    if monitor is None:
        raise not_found("monitor")
    return monitor


# --- shapes ---------------------------------------------------------------------------


class MonitorOut(Schema):
    id: int
    name: str
    scope: Literal["everything", "blueprint", "clients"]
    blueprint_uuid: str | None
    blueprint_name: str
    client_uuids: list[str]
    name_contains: str
    triggered_by: list[str]
    start_at: datetime
    backfill_days: int | None
    paused: bool = Field(..., description="Paused now: indefinitely, or until `paused_until`.")
    paused_until: datetime | None
    last_swept_at: datetime | None
    last_sweep_found: int
    lag_seconds: float = Field(
        ..., description="Plannr history left unswept by the last sweep; 0 when caught up."
    )
    last_sweep_error: str
    created_at: datetime
    updated_at: datetime
    url: str = Field(..., description="The monitor's page.")

    @staticmethod
    def from_monitor(m, now=None):
        now = now or timezone.now()
        return {
            "id": m.pk,
            "name": m.name,
            "scope": m.scope,
            "blueprint_uuid": str(m.blueprint_uuid) if m.blueprint_uuid else None,
            "blueprint_name": m.blueprint_name,
            "client_uuids": [str(u) for u in m.client_uuids],
            "name_contains": m.name_contains,
            "triggered_by": [str(t) for t in m.triggered_by],
            "start_at": m.start_at,
            "backfill_days": m.backfill_days,
            "paused": m.is_paused(now),
            "paused_until": m.paused_until,
            "last_swept_at": m.last_swept_at,
            "last_sweep_found": m.last_sweep_found,
            "lag_seconds": m.lag_seconds,
            "last_sweep_error": m.last_sweep_error,
            "created_at": m.created_at,
            "updated_at": m.updated_at,
            "url": reverse("monitors:detail", args=[m.pk]),
        }


class MonitorPage(Schema):
    items: list[MonitorOut]
    page: int
    page_size: int
    total: int
    pages: int


class MonitorIn(BodyIn):
    """What a monitor covers, as the monitor form asks for it."""

    scope: Literal["everything", "blueprint", "clients"]
    name: text(200) = Field("", description="Optional: a name is made from the scope.")
    blueprint_uuid: text(64) = Field("", description="For the blueprint scope; checked with Plannr.")
    client_uuids: list[text(64)] = Field(
        [], max_length=services.MAX_CLIENTS, description="For the clients scope."
    )
    name_contains: text(200) = ""
    triggered_by: list[text(200)] = Field([], max_length=50)
    backfill_days: int | None = Field(
        None, ge=0, le=services.MAX_BACKFILL_DAYS, description="Only on create: also the last N days."
    )

    def spec(self):
        return services.MonitorSpec(
            scope=self.scope,
            name=self.name,
            blueprint_uuid=self.blueprint_uuid.strip(),
            client_uuids=list(self.client_uuids),
            name_contains=self.name_contains,
            triggered_by=list(self.triggered_by),
            backfill_days=self.backfill_days,
        )


class PauseIn(BodyIn):
    # JSON has no date type: the RFC 3339 string is the one strict form.
    until: Time | None = Field(
        None, strict=False, description="Paused until this time (a maintenance window); omit to pause until resumed."
    )


def _apply(action):
    """Run a service call; its own checks answer in the API's shape."""
    try:
        return action()
    except services.MonitorError as exc:
        raise ApiError(
            422, "invalid_request", str(exc), errors=[{"field": "body", "message": str(exc)}]
        ) from None
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc) or "Your role does not allow this call.") from None


MONITOR_RESPONSES = {200: MonitorOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS}


# --- monitors --------------------------------------------------------------------------


@router.get("", response={200: MonitorPage, 422: ErrorOut, **AUTH_ERRORS}, summary="List monitors")
def list_monitors(request, page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=MAX_LIMIT)):
    result = numbered_page(Monitor.objects.all(), MONITOR_ORDER, page=page, page_size=page_size)
    now = timezone.now()
    return {
        "items": [MonitorOut.from_monitor(m, now) for m in result.items],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
        "pages": result.pages,
    }


@router.post("", response={201: MonitorOut, 422: ErrorOut, **AUTH_ERRORS}, summary="Add a monitor")
def create_monitor(request, payload: MonitorIn):
    monitor = _apply(lambda: services.create_monitor(payload.spec(), creator=request.user, by=request.user))
    return Status(201, MonitorOut.from_monitor(monitor))


@router.get("/{monitor_id}", response=MONITOR_RESPONSES, summary="One monitor")
def get_monitor_detail(request, monitor_id: int):
    return MonitorOut.from_monitor(get_monitor(request, monitor_id))


@router.put(
    "/{monitor_id}",
    response=MONITOR_RESPONSES,
    summary="Change what a monitor covers",
    description="The whole definition, as the edit form sends it; its start point and sweep history stay "
    "(`backfill_days` is ignored).",
)
def update_monitor(request, monitor_id: int, payload: MonitorIn):
    monitor = get_monitor(request, monitor_id)
    return MonitorOut.from_monitor(
        _apply(lambda: services.update_monitor(monitor, payload.spec(), by=request.user))
    )


@router.post("/{monitor_id}/pause", response=MONITOR_RESPONSES, summary="Pause a monitor")
def pause_monitor(request, monitor_id: int, payload: PauseIn):
    monitor = get_monitor(request, monitor_id)
    if payload.until is not None and payload.until <= timezone.now():
        raise ApiError(
            422,
            "invalid_request",
            "The end of the pause is in the past.",
            errors=[{"field": "body.until", "message": "give a time in the future"}],
        )
    _apply(lambda: services.pause(monitor, by=request.user, until=payload.until))
    return MonitorOut.from_monitor(monitor)


@router.post("/{monitor_id}/resume", response=MONITOR_RESPONSES, summary="Resume a monitor")
def resume_monitor(request, monitor_id: int):
    monitor = get_monitor(request, monitor_id)
    _apply(lambda: services.resume(monitor, by=request.user))
    return MonitorOut.from_monitor(monitor)


@router.delete(
    "/{monitor_id}",
    response={204: None, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="Delete a monitor and its findings (the executions stay)",
)
def delete_monitor(request, monitor_id: int):
    monitor = get_monitor(request, monitor_id)
    _apply(lambda: services.delete_monitor(monitor, by=request.user))
    return Status(204, None)


# --- a monitor's executions ---------------------------------------------------------------

FindingSort = Literal[
    tuple(
        k for name in ("found", "status", "name", "client", "progress", "polled") for k in (name, f"-{name}")
    )
]

# As the watchlist's sort keys (api/watches.py), over Finding: "found" is the watchlist's "watched".
FINDING_KEYSETS = {
    "found": [("found_at", False)],
    "status": [("execution__is_failing", True), ("execution__is_finished", False)],
    "name": [("execution__name", False)],
    "client": [("execution__account_name", False)],
    "progress": [("execution__steps_done", False), ("execution__steps_count", False)],
    "polled": [("execution__last_polled_at", False)],
}


def finding_order(sort):
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    spec = [(path, descending != reverse) for path, descending in FINDING_KEYSETS[key]]
    if key == "status":
        spec.append(("found_at", True))
    return keyset(Finding, spec)


class FindingFilters(Schema):
    status: text(100) = Field(
        "",
        description="A Plannr status, or `failing`, `trouble` (Plannr could not be polled) or `not-polled`.",
    )
    q: text(200) = Field("", description="Words to find in the UUID, name, client or trigger.")
    sort: FindingSort = Field(
        "status",
        description="A column, `-` first for descending; `status` is failing first, newest found first.",
    )


class FindingQuery(FindingFilters):
    cursor: str | None = Field(None, max_length=2000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class FoundExecution(ExecutionSummary):
    found_at: datetime


class FoundPage(Schema):
    items: list[FoundExecution]
    next_cursor: str | None = Field(..., description="Pass as `cursor` for the next page; null on the last.")


def _findings(monitor, filters):
    params = Params.from_query({"status": filters.status, "q": filters.q})
    return table_matching(Finding.objects.filter(monitor=monitor), FINDINGS, params).select_related(
        "execution__connection"
    )


@router.get(
    "/{monitor_id}/executions",
    response={200: FoundPage, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="The executions a monitor found",
)
def monitor_executions(request, monitor_id: int, query: Query[FindingQuery]):
    monitor = get_monitor(request, monitor_id)
    page = cursor_page(
        _findings(monitor, query),
        finding_order(query.sort),
        kind=f"monitor:{monitor.pk}:{query.sort}",
        cursor=query.cursor,
        limit=query.limit,
    )
    return {
        "items": [
            {**ExecutionSummary.from_execution(f.execution), "found_at": f.found_at} for f in page.items
        ],
        "next_cursor": page.next_cursor,
    }


MONITOR_CSV_HEADER = [
    "uuid",
    "name",
    "status",
    "client",
    "triggered_by",
    "steps_done",
    "steps_count",
    "failing",
    "failure_message",
    "poll_state",
    "last_polled_at",
    "found_at",
    "url",
    "connection",
]


@router.get(
    "/{monitor_id}/executions.csv",
    response={404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    openapi_extra=CSV_RESPONSE,
    summary="A monitor's executions as CSV",
)
def monitor_executions_csv(request, monitor_id: int, filters: Query[FindingFilters]):
    monitor = get_monitor(request, monitor_id)
    qs = _findings(monitor, filters).order_by(*order_by(finding_order(filters.sort)))

    def rows():
        for f in qs.iterator(chunk_size=500):
            e = f.execution
            yield [
                e.uuid,
                e.name,
                e.status,
                e.account_name,
                e.triggered_by,
                e.steps_done,
                e.steps_count,
                "yes" if e.is_failing else "no",
                e.failure_message,
                e.poll_state,
                e.last_polled_at,
                f.found_at,
                settings.SITE_URL + reverse("executions:detail", args=[e.uuid]),
                e.connection.name,
            ]

    return stream_csv(MONITOR_CSV_HEADER, rows(), f"monitor-{monitor.pk}-{timezone.now():%Y%m%d-%H%M}.csv", request)
