"""An incident's fingerprint: what makes two failures the same cause."""

import hashlib

from executions.failures import EXECUTION_FAILED, HIDDEN_FAILURE

from .models import Family
from .normaliser import message_key

STALLED = "stalled"

_FAMILIES = {HIDDEN_FAILURE: Family.HIDDEN, STALLED: Family.STALLED}


def family_of(kind):
    """step_failed and execution_failed are one family: Plannr said "failed"."""
    return _FAMILIES.get(kind, Family.FAILED)


def fingerprint(blueprint, step, family, message):
    """blueprint name, step name ("" for the execution itself), family, normalised message."""
    parts = [" ".join((blueprint or "").split()), " ".join((step or "").split()), str(family), message]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def of_failure(blueprint, failure):
    """(fingerprint, step name, family, normalised message) of a DetectedFailure."""
    step = "" if failure.kind == EXECUTION_FAILED else failure.step_name
    family = family_of(failure.kind)
    message = message_key(failure.raw_info, failure.messages, failure.status)
    return fingerprint(blueprint, step, family, message), step, family, message
