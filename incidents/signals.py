from django.dispatch import Signal

# Sent inside the transaction that recorded an occurrence:
# incident=<Incident>, occurrence=<Occurrence>, event="opened" | "regressed" | "occurred", now=<datetime>.
# Receivers write rows only and defer I/O to transaction.on_commit.
incident_activity = Signal()

# Sent by grouping.set_status inside the transaction of every status change, before the
# incident is saved: incident=<Incident>, status=<the new status>, now=<datetime>.
# routing stops an escalation; alerts tells PagerDuty of an acknowledgement or resolution.
status_changed = Signal()
