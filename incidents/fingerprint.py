"""An incident's fingerprint: what makes two failures the same cause."""

import hashlib

from .normaliser import message_key


def fingerprint(blueprint, step, kind, message):
    """blueprint name, step name ("" for the execution itself), FailureKind, normalised message."""
    parts = [" ".join((blueprint or "").split()), " ".join((step or "").split()), str(kind), message]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def of_failure(blueprint, failure):
    """(fingerprint, step name, FailureKind, normalised message) of a DetectedFailure."""
    step = "" if failure.on_execution else failure.step_name
    kind = failure.kind
    message = message_key(failure.raw_info, failure.messages, failure.status)
    return fingerprint(blueprint, step, kind, message), step, kind, message
