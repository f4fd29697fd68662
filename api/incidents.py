"""/api/v1/incidents: the incidents list and its actions, through incidents/services.py as the pages.

A user sees an incident when it has an occurrence on an execution they may see
(Incident.objects.visible_to), and of its affected executions only those; any
other incident answers 404. Acting needs `accounts.triage_incidents`, as on the page
(accounts.rules.API_RULES).
"""

from datetime import datetime, timedelta
from itertools import islice
from typing import Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from executions.models import FailureKind
from incidents import services
from incidents.models import Incident, Occurrence, Status

from .errors import AUTH_ERRORS, ApiError, ErrorOut, not_found
from .exports import CSV_RESPONSE, stream_csv
from .exports import router as exports_router
from .pagination import MAX_LIMIT, cursor_page, keyset, numbered_page, order_by
from .schemas import BodyIn, ExecutionSummary, text

router = Router(tags=["incidents"])

# Most recently seen first, as the page lists them within a status.
INCIDENT_ORDER = keyset(Incident, [("last_seen", True)])
AFFECTED_ORDER = keyset(Occurrence, [("detected_at", True)])
MAX_SNOOZE_OCCURRENCES = 1_000_000
MAX_SNOOZE_MINUTES = 366 * 24 * 60

StatusName = Literal[tuple(Status.values)]
# The one failure-kind enum (executions.models.FailureKind), as the schema names it.
FamilyName = Literal[tuple(FailureKind.values)]


def visible_incident(request, incident_id):
    incident = Incident.objects.visible_to(request.user).filter(pk=incident_id).first()
    if incident is None:
        raise not_found("incident")
    return incident


def affected(user, incident):
    # Executions only: a missing incident of a blueprint that never ran has an occurrence without one.
    return Occurrence.objects.filter(incident=incident).of_executions().visible_to(user)


# --- shapes ---------------------------------------------------------------------------


class IncidentOut(Schema):
    id: int
    title: str
    blueprint_name: str
    step_name: str
    family: FamilyName
    message: str
    status: StatusName
    regression: bool = Field(..., description="Resolved once, and back.")
    status_changed_at: datetime
    snoozed_until: datetime | None
    snooze_until_occurrences: int | None = Field(
        ..., description="Snoozed until the occurrence count reaches this."
    )
    assignee: str | None
    opened_at: datetime
    occurrences: int
    clients: int
    first_seen: datetime
    last_seen: datetime
    url: str = Field(..., description="The incident's page.")

    @staticmethod
    def from_incident(i):
        return {
            "id": i.pk,
            "title": i.title,
            "blueprint_name": i.blueprint_name,
            "step_name": i.step_name,
            "family": i.family,
            "message": i.message,
            "status": i.status,
            "regression": i.regression,
            "status_changed_at": i.status_changed_at,
            "snoozed_until": i.snoozed_until,
            "snooze_until_occurrences": i.snooze_until_occurrences,
            "assignee": i.assignee.get_username() if i.assignee_id else None,
            "opened_at": i.opened_at,
            "occurrences": i.occurrences,
            "clients": i.clients,
            "first_seen": i.first_seen,
            "last_seen": i.last_seen,
            "url": reverse("incidents:detail", args=[i.pk]),
        }


class IncidentFilters(Schema):
    status: Literal[("", *Status.values)] = Field("", description="Only incidents in this status.")
    blueprint: text(500) = Field("", description="Only this blueprint's incidents (its exact name).")
    q: text(200) = Field("", description="Words to find in the title, blueprint or message.")


class IncidentPage(Schema):
    items: list[IncidentOut]
    page: int
    page_size: int
    total: int
    pages: int


class AffectedExecution(ExecutionSummary):
    occurrence_kind: str
    client_name: str
    detected_at: datetime
    cleared_at: datetime | None


class IncidentDetail(IncidentOut):
    sample_messages: list[str]
    affected: list[AffectedExecution] = Field(
        ...,
        description="The executions you may see that it affects, newest first (see `affected_next_cursor`).",
    )
    affected_next_cursor: str | None


def _listed(request, filters):
    return (
        Incident.objects.visible_to(request.user)
        .with_status(filters.status)
        .for_blueprint(filters.blueprint)
        .search(filters.q)
        .select_related("assignee")
    )


@router.get("", response={200: IncidentPage, 422: ErrorOut, **AUTH_ERRORS}, summary="List incidents")
def list_incidents(
    request,
    filters: Query[IncidentFilters],
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=MAX_LIMIT),
):
    result = numbered_page(_listed(request, filters), INCIDENT_ORDER, page=page, page_size=page_size)
    return {
        "items": [IncidentOut.from_incident(i) for i in result.items],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
        "pages": result.pages,
    }


INCIDENT_RESPONSES = {200: IncidentDetail, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS}


def _detail(request, incident, cursor=None, limit=50):
    page = cursor_page(
        affected(request.user, incident).select_related("execution__connection"),
        AFFECTED_ORDER,
        kind=f"incident:{incident.pk}",
        cursor=cursor,
        limit=limit,
    )
    return {
        **IncidentOut.from_incident(incident),
        "sample_messages": [str(m) for m in (incident.sample_messages or [])],
        "affected": [
            {
                **ExecutionSummary.from_execution(o.execution),
                "occurrence_kind": o.kind,
                "client_name": o.client_name,
                "detected_at": o.detected_at,
                "cleared_at": o.cleared_at,
            }
            for o in page.items
        ],
        "affected_next_cursor": page.next_cursor,
    }


@router.get(
    "/{incident_id}", response=INCIDENT_RESPONSES, summary="One incident, with the executions it affects"
)
def get_incident(
    request,
    incident_id: int,
    cursor: str | None = Query(
        None, max_length=2000, description="`affected_next_cursor`, for more affected executions."
    ),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    return _detail(request, visible_incident(request, incident_id), cursor, limit)


# --- actions ----------------------------------------------------------------------------


def _act(request, incident_id, action):
    incident = visible_incident(request, incident_id)
    try:
        incident = action(incident)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc) or "Your role does not allow this call.") from None
    except ValueError as exc:
        raise ApiError(
            422, "invalid_request", str(exc), errors=[{"field": "body", "message": str(exc)}]
        ) from None
    return _detail(request, incident)


@router.post("/{incident_id}/acknowledge", response=INCIDENT_RESPONSES, summary="Acknowledge an incident")
def acknowledge(request, incident_id: int):
    return _act(request, incident_id, lambda i: services.acknowledge(i, by=request.user))


@router.post("/{incident_id}/resolve", response=INCIDENT_RESPONSES, summary="Resolve an incident")
def resolve(request, incident_id: int):
    return _act(request, incident_id, lambda i: services.resolve(i, by=request.user))


@router.post("/{incident_id}/ignore", response=INCIDENT_RESPONSES, summary="Ignore an incident")
def ignore(request, incident_id: int):
    return _act(request, incident_id, lambda i: services.ignore(i, by=request.user))


class SnoozeIn(BodyIn):
    minutes: int | None = Field(
        None, ge=1, le=MAX_SNOOZE_MINUTES, description="Quiet for this long; or give `occurrences`."
    )
    occurrences: int | None = Field(
        None, ge=1, le=MAX_SNOOZE_OCCURRENCES, description="Quiet until this many more occurrences have come."
    )


@router.post(
    "/{incident_id}/snooze",
    response=INCIDENT_RESPONSES,
    summary="Snooze an incident",
    description="For a time (`minutes`) or a number of occurrences (`occurrences`): exactly one of them.",
)
def snooze(request, incident_id: int, payload: SnoozeIn):
    duration = timedelta(minutes=payload.minutes) if payload.minutes is not None else None
    return _act(
        request,
        incident_id,
        lambda i: services.snooze(i, by=request.user, duration=duration, occurrences=payload.occurrences),
    )


# --- CSV ----------------------------------------------------------------------------------

INCIDENTS_CSV_HEADER = [
    "id",
    "title",
    "status",
    "family",
    "blueprint_name",
    "step_name",
    "message",
    "occurrences",
    "clients",
    "first_seen",
    "last_seen",
    "status_changed_at",
    "assignee",
    "url",
    "connections",
]


CSV_CHUNK = 500


def _connection_names(incident_ids):
    """{incident id: the names of its executions' connections, sorted}: one query per chunk of rows."""
    names = {}
    pairs = (
        Occurrence.objects.filter(incident_id__in=incident_ids).of_executions()
        .values_list("incident_id", "execution__connection__name").distinct()
    )
    for incident_id, name in pairs:
        names.setdefault(incident_id, []).append(name)
    return {incident_id: sorted(found) for incident_id, found in names.items()}


def _csv_row(i, connections):
    return [
        i.pk,
        i.title,
        i.status,
        i.family,
        i.blueprint_name,
        i.step_name,
        i.message,
        i.occurrences,
        i.clients,
        i.first_seen,
        i.last_seen,
        i.status_changed_at,
        i.assignee.get_username() if i.assignee_id else "",
        settings.SITE_URL + reverse("incidents:detail", args=[i.pk]),
        ", ".join(connections),
    ]


@exports_router.get(
    "/incidents.csv",
    response={422: ErrorOut, **AUTH_ERRORS},
    openapi_extra=CSV_RESPONSE,
    summary="The incidents list as CSV",
)
def incidents_csv(request, filters: Query[IncidentFilters]):
    qs = _listed(request, filters).order_by(*order_by(INCIDENT_ORDER))

    def rows():
        incidents = qs.iterator(chunk_size=CSV_CHUNK)
        while chunk := list(islice(incidents, CSV_CHUNK)):
            names = _connection_names([i.pk for i in chunk])
            yield from (_csv_row(i, names.get(i.pk, ())) for i in chunk)

    return stream_csv(INCIDENTS_CSV_HEADER, rows(), f"incidents-{timezone.now():%Y%m%d-%H%M}.csv", request)
