"""Typed, read-only views of Plannr's execution objects.

Only the execution's `uuid` is required: without it the answer cannot be matched
to what we watch, so `PlannrExecution.from_payload` raises `InvalidPayload`.
Everything else is read leniently, because Plannr adds, renames and leaves out
fields without notice: missing or null fields become "" or None, unknown
statuses are kept as given (they are data), unparseable timestamps become None,
and steps that are not objects or have no valid uuid are skipped.
"""

import datetime as dt
import re
import uuid as uuid_lib
from dataclasses import dataclass, field

from .errors import InvalidPayload
from .info import InfoReport, parse_info


# Already canonical, as Plannr and our own rows send them: no need to build a UUID.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise_uuid(value):
    """Canonical lowercase form of a UUID string, or None if it is not one."""
    if isinstance(value, uuid_lib.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    if _CANONICAL_UUID.fullmatch(value):
        return value
    text = value.strip()
    if not text or len(text) > 64:
        return None
    try:
        return str(uuid_lib.UUID(text))
    except ValueError:
        return None


def parse_datetime(value):
    """An aware datetime from ISO 8601 (offset, `Z`, or naive meaning UTC); None if unreadable."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 64:
            return None
        if text[-1:] in "zZ":
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def _text(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class PlannrStep:
    uuid: str
    name: str
    status: str
    info: InfoReport
    executed_at: dt.datetime | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def from_payload(cls, data):
        """A step, or None when `data` is not a step object with a valid uuid."""
        if not isinstance(data, dict):
            return None
        step_uuid = normalise_uuid(data.get("uuid"))
        if step_uuid is None:
            return None
        return cls(
            uuid=step_uuid,
            name=_text(data.get("name")),
            status=_text(data.get("status")),
            info=parse_info(data.get("info")),
            executed_at=parse_datetime(data.get("executed_at")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class PlannrAccount:
    uuid: str | None
    name: str
    first_name: str
    last_name: str
    email: str
    type: str

    @classmethod
    def from_payload(cls, data):
        if not isinstance(data, dict):
            return None
        first = _text(data.get("first_name")).strip()
        last = _text(data.get("last_name")).strip()
        name = _text(data.get("name")).strip() or " ".join(p for p in (first, last) if p)
        return cls(
            uuid=normalise_uuid(data.get("uuid")),
            name=name,
            first_name=first,
            last_name=last,
            email=_text(data.get("email")).strip(),
            type=_text(data.get("type")).strip(),
        )


@dataclass(frozen=True, slots=True)
class PlannrExecution:
    uuid: str
    name: str
    status: str
    triggered_by: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    steps: tuple[PlannrStep, ...]
    next_step: PlannrStep | None
    previous_step: PlannrStep | None
    account: PlannrAccount | None
    # Exactly as received (snapshots hash it); compared, but not hashed: dicts are not hashable.
    payload: dict = field(repr=False, hash=False)

    @classmethod
    def from_payload(cls, data):
        if not isinstance(data, dict):
            raise InvalidPayload(f"Execution is a {type(data).__name__}, not an object")
        execution_uuid = normalise_uuid(data.get("uuid"))
        if execution_uuid is None:
            raise InvalidPayload("Execution has no valid uuid")
        raw_steps = data.get("steps")
        steps = []
        if isinstance(raw_steps, list):
            for item in raw_steps:
                step = PlannrStep.from_payload(item)
                if step is not None:
                    steps.append(step)
        return cls(
            uuid=execution_uuid,
            name=_text(data.get("name")),
            status=_text(data.get("status")),
            triggered_by=_text(data.get("triggered_by")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            steps=tuple(steps),
            next_step=PlannrStep.from_payload(data.get("next_step")),
            previous_step=PlannrStep.from_payload(data.get("previous_step")),
            account=PlannrAccount.from_payload(data.get("account")),
            payload=data,
        )
