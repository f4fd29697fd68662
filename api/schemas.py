"""The shapes the API answers with, shared by its routers."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.urls import reverse
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict

from dashboard.errors import OFFSET_MESSAGE, offset_in_range
from ui.params import DEFAULT_SORT, SORT_LABELS

# Text from a query string or body. PostgreSQL text cannot hold NUL, so it is refused
# as bad input (422) rather than failing in the database.
NO_NUL = r"^[^\x00]*$"


def text(max_length):
    return Annotated[str, Field(max_length=max_length, pattern=NO_NUL)]


def _storable(value):
    if not offset_in_range(value):
        raise ValueError(OFFSET_MESSAGE)
    return value


# A date-time with its offset, which the database can store and compare with.
Time = Annotated[AwareDatetime, AfterValidator(_storable)]

class BodyIn(Schema):
    """A request body: exactly the schema. No field it does not name, and no coercion
    (`false` is not 0, `"3"` is not 3), so what the OpenAPI document says is what is taken."""

    model_config = ConfigDict(strict=True, extra="forbid")


SortKey = Literal[tuple(key for name in SORT_LABELS for key in (name, f"-{name}"))]


class WatchFilters(Schema):
    """The watchlist page's own filters."""

    status: text(100) = Field(
        "",
        description="A Plannr status, or `failing`, `trouble` (Plannr could not be polled) or `not-polled`.",
    )
    q: text(200) = Field("", description="Words to find in the UUID, name, client, trigger or label.")
    sort: SortKey = Field(
        DEFAULT_SORT,
        description="A column, `-` first for descending. `status` is by severity: failing, then running, then the rest, newest first in each group.",
    )


class ExecutionSummary(Schema):
    uuid: UUID
    name: str
    status: str
    client: str = Field(..., description="The Plannr account (client) the execution runs for.")
    triggered_by: str
    steps_done: int
    steps_count: int
    is_finished: bool
    is_failing: bool
    failure_message: str
    poll_state: str
    last_polled_at: datetime | None
    remote_created_at: datetime | None
    remote_updated_at: datetime | None
    updated_at: datetime
    url: str = Field(..., description="The execution's page.")
    connection: str = Field(..., description="The name of the Plannr connection the execution belongs to.")

    @staticmethod
    def from_execution(e):
        return {
            "uuid": e.uuid,
            "name": e.name,
            "status": e.status,
            "client": e.account_name,
            "triggered_by": e.triggered_by,
            "steps_done": e.steps_done,
            "steps_count": e.steps_count,
            "is_finished": e.is_finished,
            "is_failing": e.is_failing,
            "failure_message": e.failure_message,
            "poll_state": e.poll_state,
            "last_polled_at": e.last_polled_at,
            "remote_created_at": e.remote_created_at,
            "remote_updated_at": e.remote_updated_at,
            "updated_at": e.updated_at,
            "url": reverse("executions:detail", args=[e.uuid]),
            "connection": e.connection.name,
        }


class WatchOut(Schema):
    id: int
    label: str
    muted: bool
    created_at: datetime
    updated_at: datetime
    execution: ExecutionSummary

    @staticmethod
    def from_watch(w):
        return {
            "id": w.pk,
            "label": w.label,
            "muted": w.muted,
            "created_at": w.created_at,
            "updated_at": w.updated_at,
            "execution": ExecutionSummary.from_execution(w.execution),
        }


class WatchRef(Schema):
    id: int
    label: str
    muted: bool


class StepOut(Schema):
    uuid: UUID
    position: int
    name: str
    status: str
    failure_kind: str = Field(
        ..., description="`failed`, `hidden` (completed, but its info reports errors) or ``."
    )
    messages: list[str] = Field(..., description="The messages parsed out of Plannr's `info`.")
    info: str = Field(..., description="Plannr's `info`, untouched.")
    executed_at: datetime | None


class ExecutionOut(ExecutionSummary):
    watch: WatchRef

    @staticmethod
    def from_watch(w):
        return {
            **ExecutionSummary.from_execution(w.execution),
            "watch": {"id": w.pk, "label": w.label, "muted": w.muted},
        }


class ExecutionDetail(ExecutionOut):
    client_uuid: UUID | None = Field(
        ..., description="The uuid of the client (Plannr's account) the execution runs for; see `client`."
    )
    # The API's word is client; this name stays for one version so that callers can move.
    account_uuid: UUID | None = Field(
        None, deprecated=True, description="Deprecated: the same value as `client_uuid`, removed in API v2."
    )
    next_step: dict[str, Any] | None
    last_poll_error: str
    consecutive_errors: int
    final_confirmed: bool
    steps: list[StepOut]


class ChangeOut(Schema):
    fetched_at: datetime
    changes: list[dict[str, Any]] = Field(
        ...,
        description='What changed since the previous payload, e.g. {"kind": "status", "to": "failed"}.',
    )
