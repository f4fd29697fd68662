from django.dispatch import Signal

# Sent inside the transaction that recorded an occurrence:
# incident=<Incident>, occurrence=<Occurrence>, event="opened" | "regressed" | "occurred", now=<datetime>.
# Receivers write rows only and defer I/O to transaction.on_commit.
incident_activity = Signal()
