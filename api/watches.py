"""/api/v1/watches: the user's watchlist, through the same services as the watchlist page."""

from typing import Literal
from uuid import UUID

from ninja import Field, Query, Router, Schema, Status

from executions import watching
from executions.models import Watch
from executions.paste import parse_paste
from ui.forms import LabelForm, WatchPasteForm
from ui.params import Params
from ui.watchlist import forget_counts, matching, watch_counts

from .errors import AUTH_ERRORS, ApiError, ErrorOut, not_found
from .pagination import keyset, numbered_page
from .schemas import BodyIn, WatchFilters, WatchOut, text

router = Router(tags=["watches"])


def watch_params(filters):
    """The page's Params for these filters: same normalising of search text and status."""
    return Params.from_query({"status": filters.status, "q": filters.q, "sort": filters.sort})


# The page's sort keys as keysets over Watch: (path, descending when the sort ascends).
# "status" is the page's severity order: failing, then running, then the rest (finished),
# newest first within each group; reversing it reverses the groups only.
SORT_KEYSETS = {
    "watched": [("created_at", False)],
    "status": [("execution__is_failing", True), ("execution__is_finished", False)],
    "name": [("execution__name", False)],
    "client": [("execution__account_name", False)],
    "progress": [("execution__steps_done", False), ("execution__steps_count", False)],
    "polled": [("execution__last_polled_at", False)],
    "label": [("label", False)],
}


def watch_order(sort):
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    spec = [(path, descending != reverse) for path, descending in SORT_KEYSETS[key]]
    if key == "status":
        spec.append(("created_at", True))
    return keyset(Watch, spec)


def own_watch(user, uuid):
    """The user's watch of this execution; anyone else's (or none) is a 404, as on the pages."""
    watch = Watch.objects.select_related("execution__connection").filter(user=user, execution__uuid=uuid).first()
    if watch is None:
        raise not_found("watch")
    return watch


# --- list ---------------------------------------------------------------------------


class Counts(Schema):
    total: int
    failing: int
    trouble: int
    not_polled: int
    by_status: dict[str, int]


class WatchPage(Schema):
    items: list[WatchOut]
    page: int
    page_size: int
    total: int = Field(..., description="Watches the filters keep.")
    pages: int
    counts: Counts = Field(..., description="The whole watchlist, as the page's filter buttons show it.")


@router.get("", response={200: WatchPage, 422: ErrorOut, **AUTH_ERRORS}, summary="List watches")
def list_watches(
    request,
    filters: Query[WatchFilters],
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=200),
):
    params = watch_params(filters)
    qs = matching(request.user, params).select_related("execution__connection")
    result = numbered_page(qs, watch_order(params.sort), page=page, page_size=page_size)
    counts = watch_counts(request.user)
    return {
        "items": [WatchOut.from_watch(w) for w in result.items],
        "page": result.page,
        "page_size": result.page_size,
        "total": result.total,
        "pages": result.pages,
        "counts": {
            "total": counts.total,
            "failing": counts.failing,
            "trouble": counts.trouble,
            "not_polled": counts.not_polled,
            "by_status": dict(counts.by_status),
        },
    }


# --- add ------------------------------------------------------------------------------


class AddWatchesIn(BodyIn):
    uuids: list[text(1000)] = Field(
        ...,
        description="Execution UUIDs, one per item. Each item is read like one line pasted on the page "
        "(so item N is 'line N' in messages).",
    )
    label: text(200) = ""


class ItemResult(Schema):
    item: int = Field(..., description="The item's position in `uuids`, from 1.")
    input: str
    outcome: Literal["added", "already_watched", "duplicate", "invalid"]
    uuid: UUID | None = None
    message: str
    watch_id: int | None = None


class AddWatchesOut(Schema):
    added: int
    already_watched: int
    duplicates: int
    invalid: int
    results: list[ItemResult]


class AddWatchesError(ErrorOut):
    results: list[ItemResult] = []


def _results(items, parsed, created, already):
    """One result per UUID-like token, in item order, worded as the page words them."""
    by_uuid = {w.execution.uuid: w for w in created}
    already = set(already)
    results, seen = [], set()
    for number, item in enumerate(items, start=1):
        for uuid in parse_paste(item).uuids:
            if uuid in seen:
                continue  # a repeat: reported from parsed.duplicates below
            seen.add(uuid)
            if uuid in already:
                outcome, message, watch = "already_watched", "Already watched, so not added again.", None
            else:
                watch = by_uuid.get(uuid)
                outcome, message = "added", "Added: its data will show within seconds."
            results.append(
                {
                    "item": number,
                    "input": item[:200],
                    "outcome": outcome,
                    "uuid": uuid,
                    "message": message,
                    "watch_id": watch.pk if watch else None,
                }
            )
    for dup in parsed.duplicates:
        results.append(
            {
                "item": dup.line,
                "input": items[dup.line - 1][:200],
                "outcome": "duplicate",
                "uuid": dup.uuid,
                "message": f"Line {dup.line}: {dup.uuid} repeats line {dup.first_line}, added once.",
            }
        )
    for bad in parsed.invalid:
        results.append(
            {
                "item": bad.line,
                "input": items[bad.line - 1][:200],
                "outcome": "invalid",
                "uuid": None,
                "message": f"Line {bad.line}: {bad.text[:80]} is not a valid UUID.",
            }
        )
    results.sort(key=lambda r: r["item"])
    return results


@router.post(
    "",
    response={201: AddWatchesOut, 207: AddWatchesOut, 422: AddWatchesError, **AUTH_ERRORS},
    summary="Watch executions",
    description="Adds what is valid, like the page. 201: every item was added. 207: some were not "
    "(already watched, repeated or not a UUID): see `results`. 422: nothing could be added.",
)
def add_watches(request, payload: AddWatchesIn):
    # Separators inside an item stay separators, but a line break must not shift the
    # line numbers that map messages back to items.
    items = [" ".join(item.splitlines()) for item in payload.uuids]
    form = WatchPasteForm({"uuids": "\n".join(items), "label": payload.label})
    if not form.is_valid():
        errors = [
            {"field": name, "message": str(m)} for name, messages in form.errors.items() for m in messages
        ]
        raise ApiError(422, "invalid_request", errors[0]["message"], errors=errors)
    parsed, label = form.cleaned_data["uuids"], form.cleaned_data["label"]
    if not parsed.uuids:
        results = _results(items, parsed, [], [])
        raise ApiError(422, "invalid_uuids", "No item is a valid UUID: nothing was added.", results=results)
    result = watching.watch_executions(request.user, parsed.uuids, label)
    forget_counts(request.user)
    results = _results(items, parsed, result.created, result.already_watched)
    body = {
        "added": len(result.created),
        "already_watched": len(result.already_watched),
        "duplicates": len(parsed.duplicates),
        "invalid": len(parsed.invalid),
        "results": results,
    }
    return Status(201 if all(r["outcome"] == "added" for r in results) else 207, body)


# --- one watch -------------------------------------------------------------------------


@router.get(
    "/{uuid}", response={200: WatchOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS}, summary="One watch"
)
def get_watch(request, uuid: UUID):
    return WatchOut.from_watch(own_watch(request.user, uuid))


class WatchChange(BodyIn):
    label: text(200) | None = Field(None, description='A new label; `""` clears it. Omit to keep it.')
    muted: bool | None = Field(None, description="Mute or unmute alert emails for it. Omit to keep it.")


@router.patch(
    "/{uuid}", response={200: WatchOut, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS}, summary="Change a watch"
)
def change_watch(request, uuid: UUID, payload: WatchChange):
    watch = own_watch(request.user, uuid)
    if payload.label is not None:
        form = LabelForm({"label": payload.label}, instance=watch)
        if not form.is_valid():
            errors = [{"field": "label", "message": str(m)} for m in form.errors.get("label", [])]
            raise ApiError(
                422, "invalid_request", errors[0]["message"] if errors else "Invalid label.", errors=errors
            )
        form.save()
    if payload.muted is not None and payload.muted != watch.muted:
        # As the alerts page's mute button does.
        watch.muted = payload.muted
        watch.save(update_fields=["muted", "updated_at"])
    return WatchOut.from_watch(watch)


@router.delete(
    "/{uuid}", response={204: None, 404: ErrorOut, 422: ErrorOut, **AUTH_ERRORS}, summary="Stop watching"
)
def delete_watch(request, uuid: UUID):
    watch = own_watch(request.user, uuid)
    watching.unwatch(watch)
    forget_counts(request.user)
    return Status(204, None)
