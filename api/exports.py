"""/api/v1/exports: CSV files, streamed row by row so that a long list costs no memory."""

import csv

from django.conf import settings
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router

from privacy.api import csv_rows
from ui.watchlist import matching

from .errors import AUTH_ERRORS, ErrorOut
from .pagination import order_by
from .schemas import WatchFilters
from .watches import watch_order, watch_params

router = Router(tags=["exports"])

CSV_RESPONSE = {
    "responses": {
        "200": {
            "description": "A CSV file (UTF-8, header row first).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}
# A spreadsheet runs a cell that starts with one of these as a formula; text from
# Plannr or a label must stay text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


def cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def stream_csv(header, rows, filename, request):
    writer = csv.writer(_Echo())
    rows = csv_rows(request, header, rows)  # client data redacted without the personal-data scope

    def lines():
        yield "\ufeff" + writer.writerow(header)  # the BOM makes Excel read UTF-8
        for row in rows:
            yield writer.writerow([cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


WATCHLIST_HEADER = [
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
    "label",
    "muted",
    "watched_at",
    "url",
    "connection",
]


@router.get(
    "/watchlist.csv",
    response={422: ErrorOut, **AUTH_ERRORS},
    openapi_extra=CSV_RESPONSE,
    summary="The watchlist as CSV",
)
def watchlist_csv(request, filters: Query[WatchFilters]):
    params = watch_params(filters)
    qs = (
        matching(request.user, params)
        .select_related("execution__connection")
        .order_by(*order_by(watch_order(params.sort)))
    )

    def rows():
        for w in qs.iterator(chunk_size=500):
            e = w.execution
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
                w.label,
                "yes" if w.muted else "no",
                w.created_at,
                settings.SITE_URL + reverse("executions:detail", args=[e.uuid]),
                e.connection.name,
            ]

    return stream_csv(WATCHLIST_HEADER, rows(), f"watchlist-{timezone.now():%Y%m%d-%H%M}.csv", request)
