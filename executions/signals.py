from django.dispatch import Signal

# Sent inside the ingest transaction when an execution's payload changed, with
# every failure it currently shows: execution=<Execution>, failures=[DetectedFailure].
# Receivers write rows only (idempotently) and defer I/O to transaction.on_commit.
failures_detected = Signal()
