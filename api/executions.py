"""/api/v1/executions: the executions the user watches, with the watchlist's filters and sort.

An execution is visible exactly when the user watches it, as on the pages.
"""

import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.db.models import Q
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator

from executions.models import Snapshot
from ui.watchlist import matching

from .errors import AUTH_ERRORS, ErrorOut
from .pagination import MAX_LIMIT, cursor_page, order_fields
from .schemas import ChangeOut, ExecutionDetail, ExecutionOut, StepOut, Time, WatchFilters
from .watches import own_watch, watch_order, watch_params

router = Router(tags=["executions"])

HISTORY_ORDER = order_fields(Snapshot, ["fetched_at"], True)


class ExecutionPage(Schema):
    items: list[ExecutionOut]
    next_cursor: str | None = Field(..., description="Pass as `cursor` for the next page; null on the last.")
    server_time: datetime = Field(
        ..., description="When this page was read: pass it as `updated_since` on your next sync."
    )


def _iso_only(value):
    # pydantic would also read "0.5" as a Unix time; the schema promises RFC 3339.
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError("give an RFC 3339 date-time with its offset, e.g. 2026-06-08T09:00:00Z")
    return value


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")
SyncTime = Annotated[Time, BeforeValidator(_iso_only)]


class ExecutionQuery(WatchFilters):
    updated_since: SyncTime | None = Field(
        None,
        description="Only executions whose data (or the watch) changed at or after this time, "
        "polls included: for incremental sync.",
    )
    cursor: str | None = Field(None, max_length=2000)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


@router.get("", response={200: ExecutionPage, 422: ErrorOut, **AUTH_ERRORS}, summary="List executions")
def list_executions(request, query: Query[ExecutionQuery]):
    now = timezone.now()
    params = watch_params(query)
    qs = matching(request.user, params).select_related("execution__connection")
    if query.updated_since is not None:
        since = query.updated_since
        qs = qs.filter(
            Q(execution__updated_at__gte=since)
            | Q(execution__last_polled_at__gte=since)
            | Q(updated_at__gte=since)
        )
    page = cursor_page(
        qs, watch_order(params.sort), kind=f"executions:{params.sort}", cursor=query.cursor, limit=query.limit
    )
    return {
        "items": [ExecutionOut.from_watch(w) for w in page.items],
        "next_cursor": page.next_cursor,
        "server_time": now,
    }


@router.get(
    "/{uuid}",
    response={200: ExecutionDetail, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="One execution, with its steps",
)
def get_execution(request, uuid: UUID):
    watch = own_watch(request.user, uuid)
    e = watch.execution
    steps = [
        StepOut(
            uuid=s.uuid,
            position=s.position,
            name=s.name,
            status=s.status,
            failure_kind=s.failure_kind,
            messages=[str(m) for m in (s.messages or [])],
            info=s.info,
            executed_at=s.executed_at,
        )
        for s in e.steps.all()
    ]
    return {
        **ExecutionOut.from_watch(watch),
        "client_uuid": e.account_uuid,
        "account_uuid": e.account_uuid,
        "next_step": e.next_step if isinstance(e.next_step, dict) else None,
        "last_poll_error": e.last_poll_error,
        "consecutive_errors": e.consecutive_errors,
        "final_confirmed": e.final_confirmed,
        "steps": steps,
    }


class HistoryPage(Schema):
    items: list[ChangeOut]
    next_cursor: str | None


@router.get(
    "/{uuid}/history",
    response={200: HistoryPage, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS},
    summary="What changed, newest first",
)
def execution_history(
    request,
    uuid: UUID,
    cursor: str | None = Query(None, max_length=2000),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    watch = own_watch(request.user, uuid)
    qs = Snapshot.objects.filter(execution=watch.execution).only(
        "id", "execution_id", "fetched_at", "changes"
    )
    page = cursor_page(qs, HISTORY_ORDER, kind="history", cursor=cursor, limit=limit)
    return {
        "items": [
            {"fetched_at": s.fetched_at, "changes": [c for c in s.changes if isinstance(c, dict)]}
            for s in page.items
        ],
        "next_cursor": page.next_cursor,
    }
