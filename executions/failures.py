"""What counts as a failure, in one place: used by ingest, the pages and the alerts."""

from dataclasses import dataclass

from django.conf import settings

from .models import FailureKind

def _norm(status):
    return (status or "").strip().lower()


def is_failure_status(status):
    return _norm(status) in settings.PLANNR_FAILURE_STATUSES


def is_running_status(status):
    """Running statuses are configured; anything else (unknown ones too) is finished."""
    return _norm(status) in settings.PLANNR_RUNNING_STATUSES


def step_failure_kind(status, info_has_errors):
    if is_failure_status(status):
        return FailureKind.FAILED
    if info_has_errors:
        # Plannr's own docs show a step marked completed whose info holds an error.
        return FailureKind.HIDDEN
    return ""


@dataclass(frozen=True)
class DetectedFailure:
    kind: str  # FailureKind.FAILED or FailureKind.HIDDEN
    step_uuid: str  # "" for the execution itself
    step_name: str
    status: str
    messages: tuple[str, ...]
    raw_info: str

    @property
    def on_execution(self):
        """The execution's own status is a failure status (no step is to blame)."""
        return not self.step_uuid


def detect_failures(execution_status, steps):
    """Every failure an execution currently shows.

    `steps` are `Step` model instances (or anything with uuid, name, status, info,
    messages and failure_kind attributes), in order.
    """
    found = []
    for step in steps:
        if step.failure_kind not in (FailureKind.FAILED, FailureKind.HIDDEN):
            continue
        found.append(
            DetectedFailure(
                kind=step.failure_kind,
                step_uuid=str(step.uuid),
                step_name=step.name,
                status=step.status,
                messages=tuple(step.messages or ()),
                raw_info=step.info or "",
            )
        )
    if is_failure_status(execution_status):
        last = found[-1] if found else None
        found.append(
            DetectedFailure(
                kind=FailureKind.FAILED,
                step_uuid="",
                step_name=last.step_name if last else "",
                status=execution_status,
                messages=last.messages if last else (),
                raw_info=last.raw_info if last else "",
            )
        )
    return found
